// The render context of one amphora: where its files live under the run directory its agent
// gave it, and the operator's limits.
import type { AmphoraRenderContext } from '../../amphora/render/context.ts';
import type { LbGraph } from '../../model/lb-graph.ts';
import type { AmphoraRecord } from './amphora-types.ts';

export interface AmphoraLimits {
  /** Global maxconn: HAProxy needs about two descriptors per connection (fd ceiling 20000 here). */
  maxconn: number;
  hardStopAfterMs: number;
}

export const DEFAULT_LIMITS: AmphoraLimits = { maxconn: 9000, hardStopAfterMs: 30_000 };

export function renderContext(graph: LbGraph, amphora: AmphoraRecord, limits: AmphoraLimits = DEFAULT_LIMITS): AmphoraRenderContext {
  if (!amphora.run_dir) throw new Error(`amphora ${amphora.id} is not registered with an agent yet`);
  const runDir = amphora.run_dir;
  return {
    amphoraId: amphora.id,
    topology: 'SINGLE',
    vipAddress: graph.loadBalancer.vip_address!,
    additionalVipAddresses: graph.loadBalancer.additional_vips.map((v) => v.ip_address),
    paths: {
      runDir,
      // The agent dumps `show servers state` here before each reload (src/agent/layout.ts).
      serverStateFile: `${runDir}/servers.state`,
      certDir: `${runDir}/certs`,
    },
    maxconn: limits.maxconn,
    hardStopAfterMs: limits.hardStopAfterMs,
    log: { kind: 'none' },
    peers: [],
    vrrp: null,
  };
}
