// An HTTP monitor on a UDP pool, end to end on the netns compute driver (root): each UDP echo
// member also serves an HTTP health endpoint on another port (monitor_port), and the agent
// probes that endpoint from the amphora's namespace. A member whose health endpoint stops
// answering leaves the nftables map and turns ERROR although its UDP service still answers;
// it comes back, ONLINE and in the map, when the endpoint does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/data-plane.ts';
import { MemberNet, freeTestSubnet, startHttpServer, testPrefix, type HttpServer, type Member } from '../helpers/netns.ts';
import { tearDownNetnsTest } from '../helpers/netns-teardown.ts';
import { udpAsk } from '../helpers/udp.ts';

const PORT = 5300;
const MEMBER_PORT = 5353;
const HEALTH_PORT = 8080;

describe('HTTP monitors on UDP pools on the netns compute driver', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-e2e-udp-http-'));
  const prefix = testPrefix();
  let app: TestApp;
  let memberNet: MemberNet | null = null;
  let net: string;
  let subnetId: string;
  const members: Member[] = [];
  const health = new Map<string, HttpServer>();
  const startHealth = async (m: Member) => health.set(m.name, await startHttpServer(m.netns, m.address, HEALTH_PORT, 'healthy'));
  const stopHealth = async (m: Member) => {
    await health.get(m.name)?.stop();
    health.delete(m.name);
  };

  before(async () => {
    net = await freeTestSubnet();
    app = await startTestApp('pglite', {
      health: true,
      config: {
        defaultProvider: 'amphora',
        networkDriver: 'local',
        computeDriver: 'netns',
        dataDir,
        localAgentPort: await freePort(),
        netnsPrefix: prefix,
        netnsBridgeAddress: `${net}.1/24`,
        healthPollMs: 300,
      },
    });
    const network = (await app.request('POST', '/v2/fulcrum/networks', { network: { name: 'e2e-udp-http' } })).body.network;
    const subnet = await app.request('POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.id, cidr: `${net}.0/24`, gateway_ip: `${net}.1` } });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    subnetId = subnet.body.subnet.id;
    memberNet = new MemberNet({ prefix, bridge: `${prefix}-br0`, prefixLength: 24, bridgeAddress: `${net}.1/24` });
    for (const [i, name] of ['m1', 'm2'].entries()) {
      const m = await memberNet.add(name, `${net}.${101 + i}`, MEMBER_PORT, 'udp');
      members.push(m);
      await startHealth(m);
    }
  });

  after(async () => {
    for (const server of health.values()) await server.stop().catch(() => {});
    await tearDownNetnsTest({ app, dataDir, memberNet, prefix });
  });

  test('a member whose HTTP health endpoint stops answering leaves the map and turns ERROR; it comes back with the endpoint', async () => {
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'e2e-udp-http', vip_subnet_id: subnetId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const lbId = created.body.loadbalancer.id;
    const vip: string = created.body.loadbalancer.vip_address;
    const settle = async () => {
      const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 30_000);
      assert.equal(lb.provisioning_status, 'ACTIVE', JSON.stringify((await app.request('GET', `/v2/fulcrum/jobs?load_balancer_id=${lbId}`)).body));
    };
    await settle();
    const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'UDP', protocol_port: PORT } });
    assert.equal(listener.status, 201, JSON.stringify(listener.body));
    await settle();
    const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN' } });
    assert.equal(pool.status, 201, JSON.stringify(pool.body));
    const poolId: string = pool.body.pool.id;
    await settle();
    const memberIds = new Map<string, string>();
    for (const m of members) {
      const res = await app.request('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: m.address, protocol_port: m.port, monitor_port: HEALTH_PORT, name: m.name } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      memberIds.set(m.name, res.body.member.id);
      await settle();
    }
    // Two failures in a row to go down, a probe allowed 3 s: a loaded machine's slow answer is no flap.
    const monitor = await app.request('POST', '/v2/lbaas/healthmonitors', {
      healthmonitor: { pool_id: poolId, type: 'HTTP', delay: 1, timeout: 3, max_retries: 1, max_retries_down: 2, url_path: '/healthz', expected_codes: '200' },
    });
    assert.equal(monitor.status, 201, JSON.stringify(monitor.body));
    await settle();

    const memberStatus = async (name: string) =>
      (await app.request('GET', `/v2/lbaas/pools/${poolId}/members/${memberIds.get(name)}`)).body.member.operating_status as string;
    const waitStatus = async (name: string, wanted: string) => {
      const deadline = Date.now() + 20_000;
      let status = await memberStatus(name);
      while (status !== wanted && Date.now() < deadline) {
        await sleep(200);
        status = await memberStatus(name);
      }
      return status;
    };
    // Each ask a new flow (a fresh source port), so the map, not conntrack, picks its member.
    let nextPort = 21_000;
    const answering = async (n: number) => {
      const seen: string[] = [];
      for (let i = 0; i < n; i++) {
        const reply = await udpAsk(vip, PORT, `q${i}`, nextPort++);
        assert.ok(reply, `datagram ${i} to ${vip}:${PORT} got no answer`);
        seen.push(reply.split(' ')[0]);
      }
      return seen;
    };

    assert.equal(await waitStatus('m1', 'ONLINE'), 'ONLINE', 'a member whose health endpoint answers is ONLINE');
    assert.equal(await waitStatus('m2', 'ONLINE'), 'ONLINE');
    assert.deepEqual([...new Set(await answering(6))].sort(), ['m1', 'm2'], 'both members in the map');

    const m2 = members.find((m) => m.name === 'm2')!;
    await stopHealth(m2);
    assert.equal(await waitStatus('m2', 'ERROR'), 'ERROR', 'the HTTP monitor marks the member ERROR');
    assert.equal(await memberStatus('m1'), 'ONLINE');
    assert.equal(await udpAsk(m2.address, MEMBER_PORT, 'direct', 0).then((r) => r?.split(' ')[0]), 'm2', 'its UDP service still answers: the HTTP probe decided');
    assert.ok(!(await answering(8)).includes('m2'), 'new flows avoid the member that failed its HTTP checks');

    await startHealth(m2);
    assert.equal(await waitStatus('m2', 'ONLINE'), 'ONLINE', 'the member is ONLINE again once its endpoint answers');
    assert.ok((await answering(8)).includes('m2'), 'and back in the map');

    const del = await app.request('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`);
    assert.equal(del.status, 204);
    await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['DELETED'], 30_000);
  });
});
