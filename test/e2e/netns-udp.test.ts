// UDP end to end on the netns compute driver (root): datagrams from the host to the VIP reach UDP
// echo members in their own namespaces through the nftables table the agent programs in the
// amphora's namespace; the algorithms spread or pin flows as they promise, member changes leave
// running flows alone, and a UDP-CONNECT monitor takes a stopped member out and marks it ERROR;
// the traffic shows in the listener's statistics and in /metrics.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { sample } from '../helpers/prometheus-text.ts';
import type { Member } from '../helpers/netns.ts';
import { startNetnsApp, waitMemberStatus, type NetnsApp } from '../helpers/netns-app.ts';
import { udpAsk, UdpFlow } from '../helpers/udp.ts';

const PORT = 5300;
const MEMBER_PORT = 5353;

describe('UDP listeners on the netns compute driver', () => {
  let env: NetnsApp;
  const members: Member[] = [];

  before(async () => {
    env = await startNetnsApp('e2e-udp', { health: true, config: { healthPollMs: 300 } });
    for (const [i, name] of ['m1', 'm2', 'm3'].entries()) members.push(await env.members.add(name, `${env.net}.${101 + i}`, MEMBER_PORT, 'udp'));
  });

  after(async () => {
    await env?.close();
  });

  test('round robin, source IP, source IP and port, member changes, a UDP-CONNECT monitor', async () => {
    const { app, subnetId } = env;
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'e2e-udp', vip_subnet_id: subnetId } });
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
    for (const m of members.slice(0, 2)) {
      const res = await app.request('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: m.address, protocol_port: m.port, name: m.name } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      memberIds.set(m.name, res.body.member.id);
      await settle();
    }

    // Each ask is a new flow: a source port never used before, below the ephemeral range, so no
    // conntrack entry of an earlier ask (kept 30 s) can carry it to that ask's member.
    let nextPort = 20_000;
    const answering = async (n: number) => {
      const seen: string[] = [];
      for (let i = 0; i < n; i++) {
        const reply = await udpAsk(vip, PORT, `q${i}`, nextPort++);
        assert.ok(reply, `datagram ${i} to ${vip}:${PORT} got no answer`);
        assert.match(reply, new RegExp(` q${i}$`), 'the echo answers this datagram');
        seen.push(reply.split(' ')[0]);
      }
      return seen;
    };
    assert.deepEqual([...new Set(await answering(8))].sort(), ['m1', 'm2'], 'round robin reaches both members');

    const setAlgorithm = async (lb_algorithm: string) => {
      const res = await app.request('PUT', `/v2/lbaas/pools/${poolId}`, { pool: { lb_algorithm } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      await settle();
    };
    await setAlgorithm('SOURCE_IP');
    assert.equal(new Set(await answering(12)).size, 1, 'SOURCE_IP keeps the host on one member whatever its source port');

    const add = await app.request('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: members[2].address, protocol_port: MEMBER_PORT, name: 'm3' } });
    assert.equal(add.status, 201, JSON.stringify(add.body));
    memberIds.set('m3', add.body.member.id);
    await settle();

    await setAlgorithm('SOURCE_IP_PORT');
    const byPort = new Map<number, string>();
    for (let i = 0; i < 30; i++) {
      // Below the kernel's ephemeral range (32768 and up), where other sockets take their ports.
      const local = 24_000 + i * 7;
      const first = await udpAsk(vip, PORT, 'a', local);
      const second = await udpAsk(vip, PORT, 'b', local);
      assert.ok(first && second, `source port ${local} got answers`);
      assert.equal(first.split(' ')[0], second.split(' ')[0], `source port ${local} reaches the same member twice`);
      byPort.set(local, first.split(' ')[0]);
    }
    const spread = new Map<string, number>();
    for (const name of byPort.values()) spread.set(name, (spread.get(name) ?? 0) + 1);
    assert.deepEqual([...spread.keys()].sort(), ['m1', 'm2', 'm3'], `30 source ports reach every member: ${JSON.stringify([...spread])}`);
    // Binomial(30, 1/3) falls below 3 with probability < 0.001: a bound a fair hash keeps.
    for (const [name, count] of spread) assert.ok(count >= 3, `${name} got ${count} of 30 source ports`);

    // Admin state and weight go to the nftables map (HAProxy has no server for a UDP member).
    const setMember = async (name: string, member: Record<string, unknown>) => {
      const res = await app.request('PUT', `/v2/lbaas/pools/${poolId}/members/${memberIds.get(name)}`, { member });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      await settle();
    };
    await setMember('m1', { admin_state_up: false });
    assert.ok(!(await answering(9)).includes('m1'), 'an admin-down member takes no new flow');
    await setMember('m1', { admin_state_up: true });
    await setMember('m2', { weight: 0 });
    assert.ok(!(await answering(9)).includes('m2'), 'a weight-0 member takes no new flow');
    await setMember('m2', { weight: 1 });
    assert.deepEqual([...new Set(await answering(30))].sort(), ['m1', 'm2', 'm3'], 'both back in the map');

    // A running flow keeps its member and loses nothing while members are removed and added.
    const flow = new UdpFlow(vip, PORT);
    try {
      await flow.start(20);
      await sleep(300);
      const removed = [...memberIds.entries()].find(([name]) => name !== flow.member())!;
      assert.equal((await app.request('DELETE', `/v2/lbaas/pools/${poolId}/members/${removed[1]}`)).status, 204);
      await settle();
      const back = await app.request('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: members.find((m) => m.name === removed[0])!.address, protocol_port: MEMBER_PORT, name: removed[0] } });
      assert.equal(back.status, 201, JSON.stringify(back.body));
      memberIds.set(removed[0], back.body.member.id);
      await settle();
      await sleep(300);
      const result = await flow.stop();
      assert.ok(result.sent > 20, `the flow sent ${result.sent} datagrams`);
      assert.equal(result.lost, 0, `no datagram of the running flow was lost (${JSON.stringify(result)})`);
      assert.equal(result.members.size, 1, `the running flow stayed on one member: ${[...result.members]}`);
    } finally {
      await flow.stop();
    }

    await setAlgorithm('ROUND_ROBIN');
    const monitor = await app.request('POST', '/v2/lbaas/healthmonitors', {
      healthmonitor: { pool_id: poolId, type: 'UDP-CONNECT', delay: 3, timeout: 1, max_retries: 1, max_retries_down: 1 },
    });
    assert.equal(monitor.status, 201, JSON.stringify(monitor.body));
    await settle();
    const memberStatus = async (name: string) =>
      (await app.request('GET', `/v2/lbaas/pools/${poolId}/members/${memberIds.get(name)}`)).body.member.operating_status as string;
    const waitStatus = (name: string, wanted: string) => waitMemberStatus(app, poolId, memberIds.get(name)!, wanted, 20_000);
    assert.equal(await waitStatus('m2', 'ONLINE'), 'ONLINE', 'an answering member is ONLINE under the monitor');
    const m2 = members.find((m) => m.name === 'm2')!;
    await m2.stop();
    assert.equal(await waitStatus('m2', 'ERROR'), 'ERROR', 'the monitor marks the stopped member ERROR');
    assert.equal(await memberStatus('m1'), 'ONLINE', 'the other members stay ONLINE');
    assert.ok(!(await answering(9)).includes('m2'), 'traffic avoids the failed member');
    await m2.start();
    assert.equal(await waitStatus('m2', 'ONLINE'), 'ONLINE', 'the restarted member comes back ONLINE');
    assert.ok((await answering(9)).includes('m2'), 'and gets traffic again');

    // Heartbeats carry the nftables counters: the listener's statistics show the traffic above.
    const statsPath = `/v2/lbaas/listeners/${listener.body.listener.id}/stats`;
    const deadline = Date.now() + 15_000;
    let stats = (await app.request('GET', statsPath)).body.stats;
    while ((stats.total_connections < 9 || stats.bytes_out === 0) && Date.now() < deadline) {
      await sleep(300);
      stats = (await app.request('GET', statsPath)).body.stats;
    }
    assert.ok(stats.total_connections >= 9, `new flows counted: ${JSON.stringify(stats)}`);
    assert.ok(stats.bytes_in > 0 && stats.bytes_out > 0, `bytes both ways counted: ${JSON.stringify(stats)}`);

    // And /metrics: HAProxy's names where they mean the same (flows are connections), packets besides.
    const listenerLabels = { loadbalancer_id: lbId, listener_id: listener.body.listener.id };
    const memberLabels = { loadbalancer_id: lbId, pool_id: poolId, member_id: memberIds.get('m1')! };
    const scrape = async () => (await app.api.inject({ method: 'GET', url: '/metrics' })).body;
    let text = await scrape();
    const metricsBy = Date.now() + 15_000;
    while ((sample(text, 'fulcrum_listener_packets_in_total', listenerLabels) ?? 0) === 0 && Date.now() < metricsBy) {
      await sleep(300);
      text = await scrape();
    }
    assert.ok((sample(text, 'fulcrum_listener_connections_total', listenerLabels) ?? 0) >= 9, 'new flows are the listener\'s connections');
    assert.ok((sample(text, 'fulcrum_listener_packets_in_total', listenerLabels) ?? 0) >= 9, 'datagrams from clients');
    assert.ok((sample(text, 'fulcrum_listener_packets_out_total', listenerLabels) ?? 0) >= 9, 'answers to clients');
    assert.ok((sample(text, 'fulcrum_listener_bytes_out_total', listenerLabels) ?? 0) > 0);
    assert.ok((sample(text, 'fulcrum_member_bytes_in_total', memberLabels) ?? 0) > 0, 'per member too');
    assert.ok((sample(text, 'fulcrum_member_connections_total', memberLabels) ?? 0) > 0);
    assert.notEqual(sample(text, 'fulcrum_listener_active_connections', listenerLabels), null, 'live flows are the active connections gauge');

    const del = await app.request('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`);
    assert.equal(del.status, 204);
    await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['DELETED'], 30_000);
  });
});
