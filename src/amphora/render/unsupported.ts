// What the amphora's HAProxy 2.6 cannot serve although the API accepts it. The API calls these
// before accepting a change (→ 501, as Octavia's amphora provider does); the renderer calls them
// again so nothing half-supported is ever written.
import type { LbGraph, ListenerNode, PoolNode } from '../../model/lb-graph.ts';
import { isDatagramProtocol } from '../../model/protocol-rules.ts';
import { UnsupportedByHaproxy } from './errors.ts';

const HAPROXY_LISTENER_PROTOCOLS = new Set(['HTTP', 'HTTPS', 'TCP', 'TERMINATED_HTTPS', 'PROMETHEUS']);
const L7_PROTOCOLS = new Set(['HTTP', 'TERMINATED_HTTPS']);
const HAPROXY_POOL_PROTOCOLS = new Set(['HTTP', 'HTTPS', 'TCP', 'PROXY', 'PROXYV2']);
const HAPROXY_ALGORITHMS = new Set(['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP', 'SOURCE_IP_PORT']);
const HAPROXY_MONITOR_TYPES = new Set(['HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO']);

/** Why HAProxy cannot serve this listener, or null when it can. */
export function unsupportedByHaproxy(listener: Pick<ListenerNode, 'protocol' | 'l7policies'>): string | null {
  if (!HAPROXY_LISTENER_PROTOCOLS.has(listener.protocol)) return `${listener.protocol} protocol listeners`;
  if (listener.l7policies.length > 0 && !L7_PROTOCOLS.has(listener.protocol)) {
    return `L7 policies on ${listener.protocol} protocol listeners`;
  }
  return null;
}

/** Why HAProxy cannot serve this pool (with its monitor), or null when it can. */
export function poolUnsupportedByHaproxy(pool: Pick<PoolNode, 'protocol' | 'lb_algorithm' | 'healthMonitor'>): string | null {
  if (!HAPROXY_POOL_PROTOCOLS.has(pool.protocol)) return `${pool.protocol} protocol pools`;
  if (!HAPROXY_ALGORITHMS.has(pool.lb_algorithm)) return `the ${pool.lb_algorithm} load balancing algorithm`;
  if (pool.healthMonitor && !HAPROXY_MONITOR_TYPES.has(pool.healthMonitor.type)) return `${pool.healthMonitor.type} health monitors`;
  return null;
}

/** UDP and SCTP listeners and pools are nftables' to serve (nftables-ruleset.ts), not HAProxy's. */
export function assertHaproxyCanServe(graph: LbGraph): void {
  for (const listener of graph.listeners.filter((l) => !isDatagramProtocol(l.protocol))) {
    const reason = unsupportedByHaproxy(listener);
    if (reason) throw new UnsupportedByHaproxy(reason);
  }
  for (const pool of graph.pools.filter((p) => !isDatagramProtocol(p.protocol))) {
    const reason = poolUnsupportedByHaproxy(pool);
    if (reason) throw new UnsupportedByHaproxy(reason);
  }
}
