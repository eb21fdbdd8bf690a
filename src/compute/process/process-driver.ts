// The process compute driver: amphorae are HAProxy processes on this host, run by the local
// amphora agent, answering on VIPs from 127.0.0.0/8 (every such address is local on Linux, so
// nothing needs plugging and no root is needed). The scheduler may place an amphora on any
// inventory host: its agent runs the HAProxy, and the VIP is that host's loopback address.
import type { AmphoraPlacement, AmphoraSpec, ComputeDriver } from '../compute-driver.ts';

export class ProcessComputeDriver implements ComputeDriver {
  readonly name = 'process';
  readonly placesOnHosts = true;

  /** `hostId`: the inventory host of this machine's agent, at `agentUrl`. */
  constructor(
    private readonly agentUrl: string,
    private readonly hostId?: string,
  ) {}

  async createAmphora(spec: AmphoraSpec): Promise<AmphoraPlacement> {
    const place = { computeId: `process:${spec.amphoraId}`, netns: null, vipInterface: 'lo', lbNetworkIp: '127.0.0.1' };
    return spec.hostAgentUrl ? { ...place, agentUrl: spec.hostAgentUrl } : { ...place, agentUrl: this.agentUrl, hostId: this.hostId };
  }

  // Loopback VIPs are local already; HAProxy binds them with SO_REUSEPORT, so the new
  // amphora's listeners take connections beside the old one's until that one stops.
  async plugVips(): Promise<void> {}

  // The agent's DELETE already stopped the amphora's processes; there is no place to remove.
  async deleteAmphora(): Promise<void> {}

  async close(): Promise<void> {}
}
