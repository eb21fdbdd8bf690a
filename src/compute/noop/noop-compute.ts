// The noop compute driver: amphorae that exist only as database rows. Every flow of the
// amphora provider runs (allocate, boot, configure, failover, delete) and records what a real
// driver would, but no process, namespace or address is made: what client projects run their
// CI against, as with Octavia's no-op compute driver. Pair it with the noop amphora agents
// (src/providers/amphora/noop-agents.ts).
import { createHash } from 'node:crypto';
import type { AmphoraPlacement, AmphoraSpec, ComputeDriver } from '../compute-driver.ts';

/** The agent URL every noop placement names; no agent listens there. */
export const NOOP_AGENT_URL = 'noop://amphora-agent';

/** A management address from 192.0.2.0/24 (TEST-NET-1, never routed), stable per amphora. */
function managementAddress(amphoraId: string): string {
  const n = createHash('sha256').update(amphoraId).digest()[0] % 254;
  return `192.0.2.${n + 1}`;
}

export class NoopComputeDriver implements ComputeDriver {
  readonly name = 'noop';
  // Placement is recorded (the scheduler runs when hosts are registered); no agent is called.
  readonly placesOnHosts = true;

  async createAmphora(spec: AmphoraSpec): Promise<AmphoraPlacement> {
    return { computeId: `noop:${spec.amphoraId}`, agentUrl: NOOP_AGENT_URL, netns: null, vipInterface: 'eth1', lbNetworkIp: managementAddress(spec.amphoraId) };
  }

  async plugVips(): Promise<void> {}

  async deleteAmphora(): Promise<void> {}

  async close(): Promise<void> {}
}
