// A heartbeat's proxies as the ProxyStat rows operating statuses are derived from. Pure.
import type { Heartbeat } from '../agent/heartbeat-codec.ts';
import { backendPoolId } from '../amphora/render/haproxy-backend.ts';
import type { ProxyStat } from './operating-status.ts';
import { namedCounters } from './listener-counters.ts';

/**
 * False for a heartbeat that says HAProxy runs but gives no statistics: the agent did not ask
 * it this time (most heartbeats), or it did not answer (a reload under way). Nothing to judge
 * statuses or count traffic by.
 */
export function carriesStatistics(heartbeat: Heartbeat): boolean {
  return !heartbeat.haproxy.running || heartbeat.haproxy.epoch !== null;
}

export function proxyStats(heartbeat: Heartbeat): ProxyStat[] | null {
  if (!heartbeat.haproxy.running) return null;
  return heartbeat.proxies.map((p) => {
    if (p.s === 'FRONTEND') {
      return { proxy: p.p, server: 'FRONTEND', status: p.st, counters: namedCounters(p.c ?? [0, 0, 0, 0, 0]) };
    }
    return { proxy: backendPoolId(p.p), server: p.s, status: p.st };
  });
}

/** What decides the operating statuses: a heartbeat with the same fingerprint changes none. */
export function statusFingerprint(heartbeat: Heartbeat): string {
  if (!heartbeat.haproxy.running) return 'down';
  return heartbeat.proxies
    .map((p) => `${p.p}/${p.s}=${p.st}`)
    .sort()
    .join('\n');
}
