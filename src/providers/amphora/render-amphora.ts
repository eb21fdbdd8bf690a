// What one amphora is sent: haproxy.cfg (with the files it names), for an ACTIVE_STANDBY pair
// keepalived.conf, and the plan of its UDP/SCTP listeners. Pure.
import { renderHaproxy } from '../../amphora/render/haproxy-config.ts';
import { l4Plan } from '../../amphora/render/l4-plan.ts';
import { renderKeepalivedConfig } from '../../amphora/render/keepalived-config.ts';
import type { LbGraph } from '../../model/lb-graph.ts';
import type { AmphoraRecord, RenderedAmphora } from './amphora-types.ts';
import { DEFAULT_LIMITS, renderContext, type HaproxyLogTransport } from './render-context.ts';
import type { ProtectionOverrides } from '../../model/protection.ts';

/** The operator's settings, from configuration. */
export interface OperatorRenderSettings {
  protectionDefaults?: ProtectionOverrides;
  connectionLogging?: boolean;
  logTransport?: HaproxyLogTransport;
}

export function renderAmphora(graph: LbGraph, amphora: AmphoraRecord, peers: AmphoraRecord[], operator: OperatorRenderSettings = {}): RenderedAmphora {
  const ctx = { ...renderContext(graph, amphora, peers, DEFAULT_LIMITS, operator.logTransport ?? 'pipe'), protectionDefaults: operator.protectionDefaults ?? {}, connectionLogging: operator.connectionLogging ?? true };
  const rendered = renderHaproxy(graph, ctx);
  return { haproxy: rendered.config, files: rendered.files, keepalived: ctx.vrrp ? renderKeepalivedConfig(graph, ctx) : null, l4: l4Plan(graph) };
}
