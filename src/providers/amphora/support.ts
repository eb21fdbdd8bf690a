// What the amphora provider refuses at the API (501), from what HAProxy 2.6 can serve.
import { poolUnsupportedByHaproxy, unsupportedByHaproxy } from '../../amphora/render/unsupported.ts';
import type { HealthMonitor, L7Policy } from '../../model/lb-graph.ts';
import type { SupportQuery } from '../driver.ts';

export function amphoraUnsupported(query: SupportQuery): string | null {
  if (query.listenerProtocol) {
    const reason = unsupportedByHaproxy({ protocol: query.listenerProtocol, l7policies: [] });
    if (reason) return reason;
  }
  if (query.l7ListenerProtocol) {
    // Any one policy stands for all: HAProxy applies them only in HTTP frontends.
    const reason = unsupportedByHaproxy({ protocol: query.l7ListenerProtocol, l7policies: [{} as L7Policy] });
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
