// The start of every netns end-to-end test (root) and netns benchmark: a control plane in this
// process on the netns compute driver with the test's own name prefix and /24, a network and a
// subnet on that /24 (the bridge's address is its gateway), and the member net on the amphorae'
// bridge; `close()` removes all of it (helpers/netns-teardown.ts). A start that fails halfway
// removes what it made before it throws.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FulcrumConfig } from '../../src/config.ts';
import { ip } from '../../src/compute/netns/ip-command.ts';
import { startTestApp, type TestApp } from './app.ts';
import { freePort } from './data-plane.ts';
import { MemberNet, freeTestSubnet, testPrefix } from './netns.ts';
import { tearDownNetnsTest } from './netns-teardown.ts';

export interface NetnsApp {
  app: TestApp;
  dataDir: string;
  prefix: string;
  /** The first three octets of the test's /24 (`10.213.N`). */
  net: string;
  networkId: string;
  subnetId: string;
  /** Member namespaces on the amphorae's bridge, sharing the subnet. */
  members: MemberNet;
  /** Waits until the load balancer leaves PENDING_* and asserts it is ACTIVE (its jobs say why not). */
  settle(lbId: string, timeoutMs?: number): Promise<any>;
  close(): Promise<void>;
}

export interface NetnsAppOptions {
  /** Run the health manager in this process too. */
  health?: boolean;
  /** Settings over the netns ones. */
  config?: Partial<FulcrumConfig>;
}

/** `name` names the temporary directory and the network. */
export async function startNetnsApp(name: string, options: NetnsAppOptions = {}): Promise<NetnsApp> {
  const dataDir = mkdtempSync(join(tmpdir(), `fulcrum-${name}-`));
  const prefix = testPrefix();
  let app: TestApp | null = null;
  let members: MemberNet | null = null;
  const close = () => tearDownNetnsTest({ app, dataDir, memberNet: members, prefix });
  try {
    const net = await freeTestSubnet();
    app = await startTestApp('pglite', {
      health: options.health ?? false,
      config: {
        defaultProvider: 'amphora',
        networkDriver: 'local',
        computeDriver: 'netns',
        dataDir,
        localAgentPort: await freePort(),
        netnsPrefix: prefix,
        netnsBridgeAddress: `${net}.1/24`,
        ...options.config,
      },
    });
    const network = await app.request('POST', '/v2/fulcrum/networks', { network: { name } });
    assert.equal(network.status, 201, JSON.stringify(network.body));
    const subnet = await app.request('POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.body.network.id, cidr: `${net}.0/24`, gateway_ip: `${net}.1` } });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    // The bridge is made here if the first amphora has not made it yet; both sides give it the
    // same address.
    members = new MemberNet({ prefix, bridge: `${prefix}-br0`, prefixLength: 24, bridgeAddress: `${net}.1/24` });
    const started = app;
    return {
      app: started,
      dataDir,
      prefix,
      net,
      networkId: network.body.network.id,
      subnetId: subnet.body.subnet.id,
      members,
      async settle(lbId, timeoutMs = 30_000) {
        const lb = await started.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], timeoutMs);
        assert.equal(lb.provisioning_status, 'ACTIVE', JSON.stringify((await started.request('GET', `/v2/fulcrum/jobs?load_balancer_id=${lbId}`)).body));
        return lb;
      },
      close,
    };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

/**
 * A load balancer on the test's subnet with an HTTP listener on port 80 in front of one member,
 * made one call at a time (each settled): its id and VIP.
 */
export async function createHttpLb(env: NetnsApp, member: { address: string; port: number }, extra: Record<string, unknown> = {}, timeoutMs?: number): Promise<{ lbId: string; vip: string }> {
  const { app } = env;
  const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: env.subnetId, ...extra } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const lbId: string = created.body.loadbalancer.id;
  await env.settle(lbId, timeoutMs);
  const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } });
  assert.equal(listener.status, 201, JSON.stringify(listener.body));
  await env.settle(lbId, timeoutMs);
  const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
  assert.equal(pool.status, 201, JSON.stringify(pool.body));
  await env.settle(lbId, timeoutMs);
  const m = await app.request('POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: member.address, protocol_port: member.port, subnet_id: env.subnetId } });
  assert.equal(m.status, 201, JSON.stringify(m.body));
  await env.settle(lbId, timeoutMs);
  return { lbId, vip: created.body.loadbalancer.vip_address };
}

/** Polls a member's operating status until it is `wanted` or `timeoutMs` passed; the last status. */
export async function waitMemberStatus(app: TestApp, poolId: string, memberId: string, wanted: string, timeoutMs: number): Promise<string> {
  const status = async () => (await app.request('GET', `/v2/lbaas/pools/${poolId}/members/${memberId}`)).body.member.operating_status as string;
  const deadline = Date.now() + timeoutMs;
  let last = await status();
  while (last !== wanted && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    last = await status();
  }
  return last;
}

/** Every network namespace on the host. */
export async function namespaces(): Promise<string[]> {
  return (await ip(['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
}

/** The addresses on the namespace's eth0. */
export async function addresses(netns: string): Promise<string[]> {
  return JSON.parse((await ip(['-n', netns, '-j', 'addr', 'show', 'dev', 'eth0'])).stdout)[0].addr_info.map((a: { local: string }) => a.local);
}
