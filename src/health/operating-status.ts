// From what HAProxy reports (`show stat`) to Octavia's operating statuses (docs/octavia-compatibility.md §4.4).
// Pure. Proxies and servers are named by object id in the rendered configuration: frontends
// by listener id, backends by pool id, servers by member id.
import type { OperatingStatus } from '../model/enums.ts';
import type { StatusUpdate } from '../model/completion.ts';
import type { LbGraph } from '../model/lb-graph.ts';
import type { ListenerCounters } from './listener-counters.ts';

export interface ProxyStat {
  /** pxname: listener id (frontend) or pool id (backend). */
  proxy: string;
  /** svname: FRONTEND, BACKEND or the member id. */
  server: string;
  /** OPEN, FULL, UP, DOWN, MAINT, DRAIN, NOLB, "no check", … */
  status: string;
  /** A frontend's traffic counters, as HAProxy reports them (since its last reload). */
  counters?: ListenerCounters;
}

function memberStatus(status: string, monitored: boolean): OperatingStatus {
  const s = status.toUpperCase();
  if (s.startsWith('MAINT')) return 'OFFLINE';
  if (s.startsWith('DRAIN') || s === 'NOLB') return 'DRAINING';
  if (s === 'NO CHECK' || !monitored) return 'NO_MONITOR';
  if (s.startsWith('UP')) return 'ONLINE';
  if (s.startsWith('DOWN')) return 'ERROR';
  return 'OFFLINE';
}

/**
 * The operating statuses of every object of `graph`, given the stats of the amphora serving it.
 * `null` stats (no amphora answered) leave everything OFFLINE.
 */
export function operatingStatuses(graph: LbGraph, stats: ProxyStat[] | null): StatusUpdate {
  const update: StatusUpdate = { loadbalancer: [], listener: [], pool: [], member: [] };
  const find = (proxy: string, server: string) => stats?.find((s) => s.proxy === proxy && s.server === server);
  let degraded = false;
  let errored = false;
  for (const listener of graph.listeners) {
    const fe = find(listener.id, 'FRONTEND');
    let status: OperatingStatus;
    if (!listener.admin_state_up || !graph.loadBalancer.admin_state_up) status = 'OFFLINE';
    else if (!fe) status = stats ? 'ERROR' : 'OFFLINE';
    else if (fe.status.toUpperCase() === 'FULL') status = 'DEGRADED';
    else status = 'ONLINE';
    if (status === 'DEGRADED') degraded = true;
    update.listener!.push({ id: listener.id, operating_status: status });
  }
  for (const pool of graph.pools) {
    const monitored = pool.healthMonitor !== null && pool.healthMonitor.admin_state_up;
    const members = pool.members.map((m) => {
      const sv = find(pool.id, m.id);
      const status: OperatingStatus = !m.admin_state_up ? 'OFFLINE' : sv ? memberStatus(sv.status, monitored) : 'OFFLINE';
      update.member!.push({ id: m.id, operating_status: status });
      return status;
    });
    const be = find(pool.id, 'BACKEND');
    let status: OperatingStatus;
    if (!pool.admin_state_up || !be) status = 'OFFLINE';
    else if (be.status.toUpperCase().startsWith('DOWN')) status = 'ERROR';
    else if (members.includes('ERROR')) status = 'DEGRADED';
    else status = 'ONLINE';
    if (status === 'ERROR') errored = true;
    if (status === 'DEGRADED') degraded = true;
    update.pool!.push({ id: pool.id, operating_status: status });
  }
  const lb = graph.loadBalancer;
  const lbStatus: OperatingStatus = !lb.admin_state_up || !stats ? 'OFFLINE' : errored ? 'ERROR' : degraded ? 'DEGRADED' : 'ONLINE';
  update.loadbalancer!.push({ id: lb.id, operating_status: lbStatus });
  return update;
}

/** Leaves out of `update` what the graph already has, so only changed statuses are written. */
export function onlyChanges(update: StatusUpdate, graph: LbGraph): StatusUpdate {
  const current = new Map<string, string>();
  current.set(graph.loadBalancer.id, graph.loadBalancer.operating_status);
  for (const l of graph.listeners) current.set(l.id, l.operating_status);
  for (const p of graph.pools) {
    current.set(p.id, p.operating_status);
    for (const m of p.members) current.set(m.id, m.operating_status);
  }
  const keep = (changes: { id: string; operating_status?: OperatingStatus }[] | undefined) => (changes ?? []).filter((c) => current.get(c.id) !== c.operating_status);
  return { loadbalancer: keep(update.loadbalancer), listener: keep(update.listener), pool: keep(update.pool), member: keep(update.member) };
}

export function isEmptyUpdate(update: StatusUpdate): boolean {
  return Object.values(update).every((changes) => !changes || changes.length === 0);
}
