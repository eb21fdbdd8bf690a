// The UDP/SCTP data plane's rows of a heartbeat, in HAProxy's terms so that the health manager
// treats them as it treats HAProxy's own: a FRONTEND row per listener with the stats call's
// counters (`c`), a row per member with its state, a BACKEND row per pool, and on each row the
// figures /metrics exports (`m`, model/proxy-counters.ts) where they mean what HAProxy's mean:
// flows are connections (`stot`), live conntrack entries active connections (`scur`), bytes in
// from clients and out to them; packets are the data plane's own. Pure.
import type { L4Listener, L4Plan } from '../amphora/render/l4-plan.ts';
import { backendName } from '../amphora/render/haproxy-backend.ts';
import type { Figures } from '../model/proxy-counters.ts';
import type { HeartbeatProxy } from './heartbeat-codec.ts';
import type { ActiveFlows, L4Counters, Traffic } from './l4-counters.ts';

const zero = (): Traffic => ({ packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, flows: 0 });

/** The figures of a row; zeros left out, as HAProxy's rows leave them out. */
function figures(t: Traffic, active: number): Figures {
  const all: Figures = { stot: t.flows, scur: active, bin: t.bytesIn, bout: t.bytesOut, pkts_in: t.packetsIn, pkts_out: t.packetsOut };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v > 0));
}

const withFigures = (row: HeartbeatProxy, f: Figures): HeartbeatProxy => (Object.keys(f).length > 0 ? { ...row, m: f } : row);

/** Live flows to any of the listener's VIPs on its port. */
export function flowsTo(active: ActiveFlows, listener: L4Listener): number {
  return listener.vips.reduce((n, vip) => n + (active.listeners.get(`${vip} ${listener.port}`) ?? 0), 0);
}

function memberFlows(active: ActiveFlows, listener: L4Listener, address: string, port: number): number {
  return listener.vips.reduce((n, vip) => n + (active.members.get(`${vip} ${listener.port} ${address} ${port}`) ?? 0), 0);
}

/** `counted`: since the HAProxy worker the heartbeat reports for; `down`: members the probes took out. */
export function l4HeartbeatProxies(plan: L4Plan, counted: L4Counters, active: ActiveFlows, down: ReadonlySet<string>): HeartbeatProxy[] {
  const proxies: HeartbeatProxy[] = [];
  for (const listener of plan.listeners) {
    const t = counted.listeners.get(listener.id) ?? zero();
    const live = flowsTo(active, listener);
    proxies.push(withFigures({ p: listener.id, s: 'FRONTEND', st: 'OPEN', c: [t.bytesIn, t.bytesOut, live, t.flows, 0] }, figures(t, live)));
    const pool = listener.pool;
    if (!pool) continue;
    const backend = backendName(pool.id, listener.id);
    const sum = zero();
    let poolLive = 0;
    const statuses = pool.members.map((m) => {
      const st = !m.enabled ? 'MAINT' : m.weight === 0 ? 'DRAIN' : !pool.monitor ? 'no check' : down.has(m.id) ? 'DOWN' : 'UP';
      const mt = counted.members.get(`${listener.id} ${m.id}`) ?? zero();
      const mLive = memberFlows(active, listener, m.address, m.port);
      for (const k of Object.keys(sum) as (keyof Traffic)[]) sum[k] += mt[k];
      poolLive += mLive;
      proxies.push(withFigures({ p: backend, s: m.id, st }, figures(mt, mLive)));
      return st;
    });
    const serving = statuses.some((st) => st === 'UP' || st === 'no check' || st === 'DRAIN');
    proxies.push(withFigures({ p: backend, s: 'BACKEND', st: serving || statuses.length === 0 ? 'UP' : 'DOWN' }, figures(sum, poolLive)));
  }
  return proxies;
}
