// The process compute driver: amphorae are HAProxy processes on this host, run by the local
// amphora agent, answering on VIPs from 127.0.0.0/8 (every such address is local on Linux, so
// nothing needs plugging and no root is needed). The scheduler may place an amphora on any
// inventory host: its agent runs the HAProxy, and the VIP is that host's loopback address.
import type { AmphoraPlacement, AmphoraSpec, ComputeDriver } from '../compute-driver.ts';

export class ProcessComputeDriver implements ComputeDriver {
  readonly name = 'process';
  readonly placesOnHosts = true;

  constructor(private readonly agentUrl: string) {}

  async createAmphora(spec: AmphoraSpec): Promise<AmphoraPlacement> {
    return { computeId: `process:${spec.amphoraId}`, agentUrl: spec.hostAgentUrl ?? this.agentUrl, netns: null, vipInterface: 'lo', lbNetworkIp: '127.0.0.1' };
  }

  // Loopback VIPs are local already; HAProxy binds them with SO_REUSEPORT, so the new
  // amphora's listeners take connections beside the old one's until that one stops.
  async plugVips(): Promise<void> {}

  // The agent's DELETE already stopped the amphora's processes; there is no place to remove.
  async deleteAmphora(): Promise<void> {}

  async close(): Promise<void> {}
}
