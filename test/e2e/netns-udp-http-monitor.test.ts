// An HTTP monitor on a UDP pool, end to end on the netns compute driver (root): each UDP echo
// member also serves an HTTP health endpoint on another port (monitor_port), and the agent
// probes that endpoint from the amphora's namespace. A member whose health endpoint stops
// answering leaves the nftables map and turns ERROR although its UDP service still answers;
// it comes back, ONLINE and in the map, when the endpoint does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHttpServer, type HttpServer, type Member } from '../helpers/netns.ts';
import { startNetnsApp, waitMemberStatus, type NetnsApp } from '../helpers/netns-app.ts';
import { udpAsk } from '../helpers/udp.ts';

const PORT = 5300;
const MEMBER_PORT = 5353;
const HEALTH_PORT = 8080;

describe('HTTP monitors on UDP pools on the netns compute driver', () => {
  let env: NetnsApp;
  const members: Member[] = [];
  const health = new Map<string, HttpServer>();
  const startHealth = async (m: Member) => health.set(m.name, await startHttpServer(m.netns, m.address, HEALTH_PORT, 'healthy'));
  const stopHealth = async (m: Member) => {
    await health.get(m.name)?.stop();
    health.delete(m.name);
  };

  before(async () => {
    env = await startNetnsApp('e2e-udp-http', { health: true, config: { healthPollMs: 300 } });
    for (const [i, name] of ['m1', 'm2'].entries()) {
      const m = await env.members.add(name, `${env.net}.${101 + i}`, MEMBER_PORT, 'udp');
      members.push(m);
      await startHealth(m);
    }
  });

  after(async () => {
    for (const server of health.values()) await server.stop().catch(() => {});
    await env?.close();
  });

  test('a member whose HTTP health endpoint stops answering leaves the map and turns ERROR; it comes back with the endpoint', async () => {
    const { app, subnetId } = env;
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'e2e-udp-http', vip_subnet_id: subnetId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const lbId = created.body.loadbalancer.id;
    const vip: string = created.body.loadbalancer.vip_address;
    const settle = () => env.settle(lbId);
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
    const waitStatus = (name: string, wanted: string) => waitMemberStatus(app, poolId, memberIds.get(name)!, wanted, 20_000);
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
