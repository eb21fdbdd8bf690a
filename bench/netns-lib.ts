// Shared parts of the netns-driver benchmarks (root): a Fulcrum control plane in this process
// on the netns compute driver with a member namespace on its bridge (test/helpers/netns-app.ts),
// a load balancer with an HTTP listener in front of that member, and a teardown that removes
// everything it made.
import type { TestApp } from '../test/helpers/app.ts';
import { createHttpLb as createLb, startNetnsApp, type NetnsApp } from '../test/helpers/netns-app.ts';
import type { FulcrumConfig } from '../src/config.ts';

export type NetnsBench = NetnsApp;

/** `health`: run the health manager too; `config`: settings over the bench's own. */
export async function startNetnsBench(
  name: string,
  topology: 'SINGLE' | 'ACTIVE_STANDBY',
  options: { health?: boolean; config?: Partial<FulcrumConfig>; udpMembers?: number } = {},
): Promise<NetnsBench> {
  const bench = await startNetnsApp(`bench-${name}`, { health: options.health, config: { defaultTopology: topology, ...options.config } });
  try {
    await bench.members.add('m1', `${bench.net}.201`, 8080);
    // UDP echo members u1, u2, … at .211, .212, … port 5353.
    for (let i = 1; i <= (options.udpMembers ?? 0); i++) await bench.members.add(`u${i}`, `${bench.net}.${210 + i}`, 5353, 'udp');
    return bench;
  } catch (err) {
    await bench.close().catch((e: Error) => console.error(`cleanup: ${e.message}`));
    throw err;
  }
}

export async function settleLb(app: TestApp, lbId: string, timeoutMs = 120_000): Promise<void> {
  const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], timeoutMs);
  if (lb.provisioning_status !== 'ACTIVE') throw new Error(`load balancer ${lbId} is ${lb.provisioning_status}`);
}

/** A load balancer with an HTTP listener on port 80 in front of the bench's member. */
export function createHttpLb(bench: NetnsBench): Promise<{ lbId: string; vip: string }> {
  return createLb(bench, { address: `${bench.net}.201`, port: 8080 }, {}, 120_000);
}
