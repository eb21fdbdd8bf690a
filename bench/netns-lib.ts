// Shared parts of the netns-driver benchmarks (root): a Fulcrum control plane in this process
// on the netns compute driver with a member namespace on its bridge, a load balancer with an
// HTTP listener in front of that member, and a teardown that removes everything it made.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../test/helpers/app.ts';
import { freePort, stopLocalDataPlane } from '../test/helpers/data-plane.ts';
import { MemberNet, freeTestSubnet, testPrefix } from '../test/helpers/netns.ts';
import { cleanupPrefix } from '../src/compute/netns/netns-driver.ts';
import type { FulcrumConfig } from '../src/config.ts';

export interface NetnsBench {
  app: TestApp;
  net: string;
  subnetId: string;
  prefix: string;
  close(): Promise<void>;
}

/** `health`: run the health manager too; `config`: settings over the bench's own. */
export async function startNetnsBench(
  name: string,
  topology: 'SINGLE' | 'ACTIVE_STANDBY',
  options: { health?: boolean; config?: Partial<FulcrumConfig>; udpMembers?: number } = {},
): Promise<NetnsBench> {
  const dataDir = mkdtempSync(join(tmpdir(), `fulcrum-bench-${name}-`));
  const prefix = testPrefix();
  let app: TestApp | null = null;
  let members: MemberNet | null = null;
  const close = async () => {
    await app?.close();
    stopLocalDataPlane(dataDir);
    await members?.close().catch(() => {});
    await cleanupPrefix(prefix).catch((err: Error) => console.error(`cleanup: ${err.message}`));
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const net = await freeTestSubnet();
    app = await startTestApp('pglite', {
      health: options.health ?? false,
      config: {
        defaultProvider: 'amphora',
        defaultTopology: topology,
        networkDriver: 'local',
        computeDriver: 'netns',
        dataDir,
        localAgentPort: await freePort(),
        netnsPrefix: prefix,
        netnsBridgeAddress: `${net}.1/24`,
        ...options.config,
      },
    });
    const network = (await app.request('POST', '/v2/fulcrum/networks', { network: { name: `bench-${name}` } })).body.network;
    const subnetId = (await app.request('POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.id, cidr: `${net}.0/24`, gateway_ip: `${net}.1` } })).body.subnet.id;
    members = new MemberNet({ prefix, bridge: `${prefix}-br0`, prefixLength: 24, bridgeAddress: `${net}.1/24` });
    await members.add('m1', `${net}.201`, 8080);
    // UDP echo members u1, u2, … at .211, .212, … port 5353.
    for (let i = 1; i <= (options.udpMembers ?? 0); i++) await members.add(`u${i}`, `${net}.${210 + i}`, 5353, 'udp');
    return { app, net, subnetId, prefix, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export async function settleLb(app: TestApp, lbId: string, timeoutMs = 120_000): Promise<void> {
  const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], timeoutMs);
  if (lb.provisioning_status !== 'ACTIVE') throw new Error(`load balancer ${lbId} is ${lb.provisioning_status}`);
}

/** A load balancer with an HTTP listener on port 80 in front of the bench's member. */
export async function createHttpLb(bench: NetnsBench): Promise<{ lbId: string; vip: string }> {
  const { app } = bench;
  const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: bench.subnetId } });
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
  const lbId: string = created.body.loadbalancer.id;
  await settleLb(app, lbId);
  const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } });
  await settleLb(app, lbId);
  const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
  await settleLb(app, lbId);
  await app.request('POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: `${bench.net}.201`, protocol_port: 8080, subnet_id: bench.subnetId } });
  await settleLb(app, lbId);
  return { lbId, vip: created.body.loadbalancer.vip_address };
}
