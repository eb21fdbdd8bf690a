// A heartbeat's rows as the figures /metrics keeps (model/proxy-counters.ts), with the
// objects each belongs to. Pure. Every row of a reporting worker is kept, figures or not, so
// a gauge that fell to zero (figures leave zeros out) is stored as zero.
import type { Heartbeat } from '../agent/heartbeat-codec.ts';
import type { Figures } from '../model/proxy-counters.ts';

export interface ReportedFigures {
  amphora_id: string;
  load_balancer_id: string;
  /** HAProxy's pxname and svname: the row's key. */
  proxy: string;
  server: string;
  /** The HAProxy worker the figures were counted by. */
  epoch: string;
  listener_id: string | null;
  pool_id: string | null;
  member_id: string | null;
  figures: Figures;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Backends are named `<pool id>:<listener id>` (amphora/render/haproxy-backend.ts). */
function backendIds(name: string): { pool: string; listener: string } | null {
  const [pool, listener, ...rest] = name.split(':');
  return rest.length === 0 && UUID.test(pool) && UUID.test(listener ?? '') ? { pool, listener } : null;
}

export function reportedFigures(heartbeat: Heartbeat, loadBalancerId: string): ReportedFigures[] {
  const epoch = heartbeat.haproxy.epoch;
  if (!heartbeat.haproxy.running || epoch === null) return [];
  const rows: ReportedFigures[] = [];
  for (const p of heartbeat.proxies) {
    const base = { amphora_id: heartbeat.amphora_id, load_balancer_id: loadBalancerId, proxy: p.p, server: p.s, epoch, figures: p.m ?? {} };
    if (p.s === 'FRONTEND') {
      if (UUID.test(p.p)) rows.push({ ...base, listener_id: p.p, pool_id: null, member_id: null });
      continue;
    }
    const ids = backendIds(p.p);
    if (!ids) continue;
    if (p.s === 'BACKEND') rows.push({ ...base, listener_id: ids.listener, pool_id: ids.pool, member_id: null });
    else if (UUID.test(p.s)) rows.push({ ...base, listener_id: ids.listener, pool_id: ids.pool, member_id: p.s });
  }
  return rows;
}
