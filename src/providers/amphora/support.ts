// What the amphora provider refuses at the API (501): what HAProxy 2.6 cannot serve, and the UDP
// and SCTP that nftables serves only where the amphora has a network namespace of its own
// (docs/dataplane.md §10).
import { poolUnsupportedByHaproxy, unsupportedByHaproxy } from '../../amphora/render/unsupported.ts';
import type { HealthMonitor, L7Policy } from '../../model/lb-graph.ts';
import { isDatagramProtocol } from '../../model/protocol-rules.ts';
import type { SupportQuery } from '../driver.ts';

/** Compute drivers whose amphorae get the nftables data plane (noop: accepts what netns does). */
const L4_COMPUTE_DRIVERS = new Set(['netns', 'noop']);
const L4_ALGORITHMS = new Set(['ROUND_ROBIN', 'SOURCE_IP', 'SOURCE_IP_PORT']);

function needsNamespace(what: string, computeDriver: string): string | null {
  if (L4_COMPUTE_DRIVERS.has(computeDriver)) return null;
  return `${what} on the '${computeDriver}' compute driver; they need the 'netns' compute driver, whose amphorae have a network namespace for nftables`;
}

function l4Unsupported(query: SupportQuery, computeDriver: string): string | null {
  const protocol = query.listenerProtocol ?? query.poolProtocol;
  if (protocol && isDatagramProtocol(protocol)) {
    const refusal = needsNamespace(`${protocol} protocol ${query.listenerProtocol ? 'listeners' : 'pools'}`, computeDriver);
    if (refusal) return refusal;
  }
  // Every monitor type the API lets onto a UDP or SCTP pool (model/protocol-rules.ts) the agent
  // runs itself (agent/l4-probe.ts).
  if (query.poolProtocol && isDatagramProtocol(query.poolProtocol)) {
    if (query.lbAlgorithm && !L4_ALGORITHMS.has(query.lbAlgorithm)) return `the ${query.lbAlgorithm} load balancing algorithm on ${query.poolProtocol} pools`;
  }
  return null;
}

export function amphoraUnsupported(query: SupportQuery, computeDriver: string): string | null {
  if (query.l7ListenerProtocol) {
    // Any one policy stands for all: HAProxy applies them only in HTTP frontends.
    const reason = unsupportedByHaproxy({ protocol: query.l7ListenerProtocol, l7policies: [{} as L7Policy] });
    if (reason) return isDatagramProtocol(query.l7ListenerProtocol) ? `L7 policies on ${query.l7ListenerProtocol} protocol listeners` : reason;
  }
  const datagram = isDatagramProtocol(query.listenerProtocol ?? '') || isDatagramProtocol(query.poolProtocol ?? '');
  if (datagram) return l4Unsupported(query, computeDriver);
  if (query.healthMonitorType === 'UDP-CONNECT' || query.healthMonitorType === 'SCTP') {
    return needsNamespace(`${query.healthMonitorType} health monitors`, computeDriver);
  }
  if (query.listenerProtocol) {
    const reason = unsupportedByHaproxy({ protocol: query.listenerProtocol, l7policies: [] });
    if (reason) return reason;
  }
  if (query.poolProtocol || query.lbAlgorithm || query.healthMonitorType) {
    return poolUnsupportedByHaproxy({
      protocol: query.poolProtocol ?? 'HTTP',
      lb_algorithm: query.lbAlgorithm ?? 'ROUND_ROBIN',
      healthMonitor: query.healthMonitorType ? ({ type: query.healthMonitorType } as HealthMonitor) : null,
    });
  }
  return null;
}
