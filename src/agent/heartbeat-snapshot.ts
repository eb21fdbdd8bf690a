// What one amphora's heartbeat says: is HAProxy running, and what its current worker reports.
// `show info` and `show stat` go in one request, so the counters and the worker they belong
// to (the epoch) come from the same process even while a reload replaces it.
import type { Amphora } from './amphora.ts';
import type { Figures } from '../model/proxy-counters.ts';
import type { Counters, HeartbeatProxy } from './heartbeat-codec.ts';
import { unhealableReason, type UnhealableReason } from './healability.ts';
import { identify } from './process-table.ts';
import { parseShowStat } from './stats.ts';
import { socketRequest } from './unix-socket.ts';

export interface Snapshot {
  running: boolean;
  epoch: string | null;
  proxies: HeartbeatProxy[];
  /** Why HAProxy is down for good, as far as this agent is concerned. */
  fault?: UnhealableReason | null;
  heals?: number;
}

/** Splits the answer to `show info;show stat` into the worker's pid and the stats CSV. */
export function parseInfoAndStat(text: string): { pid: number | null; csv: string } {
  const at = text.indexOf('# pxname');
  if (at < 0) throw new Error(`unexpected answer to "show info;show stat": ${JSON.stringify(text.slice(0, 200))}`);
  const pid = /^Pid:\s*(\d+)\s*$/m.exec(text.slice(0, at));
  return { pid: pid ? Number(pid[1]) : null, csv: text.slice(at) };
}

function toProxies(csv: string): HeartbeatProxy[] {
  const stats = parseShowStat(csv);
  const n = (v: number | null) => v ?? 0;
  // Figures go only where there are some, so an idle load balancer's heartbeat stays small.
  const m = (figures: Figures) => (Object.keys(figures).length > 0 ? { m: figures } : {});
  return [
    ...stats.frontends.map((f) => ({ p: f.name, s: 'FRONTEND', st: f.status, c: [n(f.bin), n(f.bout), n(f.scur), n(f.stot), n(f.ereq), n(f.dcon) + n(f.dses), n(f.dreq)] as Counters, ...m(f.figures) })),
    ...stats.backends.map((b) => ({ p: b.name, s: 'BACKEND', st: b.status, ...m(b.figures) })),
    ...stats.servers.map((s) => ({ p: s.backend, s: s.name, st: s.status, ...m(s.figures) })),
  ];
}

/**
 * HAProxy's statistics are asked for first; whether it runs and whether it can be healed are
 * read after every wait, in one go. So a heartbeat never says running beside a fault of the
 * same moment, and one started as a daemon's exit is recorded (`beatNow`) already carries the
 * supervisor's decision on it, not the state from before it.
 *
 * Without `figures`, a running HAProxy is not asked: the heartbeat says it runs, with no epoch
 * and no proxies, which a health manager reads as "no statistics this time" (as during a
 * reload) and judges no status by. A HAProxy that does not run is reported in full, since the
 * statuses follow from that, and UDP/SCTP listeners are served without it.
 */
export async function snapshot(amphora: Amphora, timeoutMs: number, figures: boolean): Promise<Snapshot> {
  if (!figures) {
    const facts = amphora.healFacts();
    if (facts.haproxyRunning) return { running: true, epoch: null, proxies: [], fault: unhealableReason(facts), heals: amphora.heals };
  }
  let stats: { epoch: string | null; proxies: HeartbeatProxy[] } | null = null;
  if (amphora.haproxy.isRunning()) {
    try {
      const { pid, csv } = parseInfoAndStat(await socketRequest(amphora.layout.statsSocket, 'show info;show stat', timeoutMs));
      // A pid alone can be handed out again; with its start time it names one process.
      const identity = pid === null ? null : identify(pid);
      stats = { epoch: identity ? `${identity.pid}.${identity.startTime}` : pid === null ? null : String(pid), proxies: toProxies(csv) };
    } catch {
      // Running but not answering (a reload in progress): liveness without statistics this time.
    }
  }
  // UDP and SCTP listeners are served by nftables, HAProxy or not.
  const l4 = await amphora.l4.heartbeatProxies(stats?.epoch ?? null).catch(() => []);
  const facts = amphora.healFacts();
  const fault = unhealableReason(facts);
  const heals = amphora.heals;
  // Statistics from a master that has died since are dropped with it.
  if (!facts.haproxyRunning) return { running: false, epoch: null, proxies: l4, fault, heals };
  return { running: true, epoch: stats?.epoch ?? null, proxies: [...(stats?.proxies ?? []), ...l4], fault, heals };
}
