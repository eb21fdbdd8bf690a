// SCTP end to end on the netns compute driver (root): associations from the host through the VIP
// reach members in their own namespaces, through the same nftables data plane as UDP, and an
// SCTP monitor (INIT → INIT ACK) takes a stopped member out and marks it ERROR. The members and
// the client are a FAKE userspace SCTP peer over raw sockets (test/helpers/sctp_fake_peer.py),
// named as such because this machine's kernel has no SCTP sockets for ncat or a real server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { SCTP_FAKE_PEER, type Member } from '../helpers/netns.ts';
import { startNetnsApp, waitMemberStatus, type NetnsApp } from '../helpers/netns-app.ts';

const PORT = 3868;

/** The name of the member an association through `address` came up with, or why none did. */
function associate(address: string, port: number): Promise<{ name: string } | { failure: string }> {
  return new Promise((resolve) => {
    execFile('python3', [SCTP_FAKE_PEER, 'connect', address, String(port), '4000'], { timeout: 8000 }, (err, stdout, stderr) =>
      resolve(err ? { failure: stderr.trim() || err.message } : { name: stdout.trim() }),
    );
  });
}

describe('SCTP listeners on the netns compute driver', () => {
  let env: NetnsApp;
  const members: Member[] = [];

  before(async () => {
    env = await startNetnsApp('e2e-sctp', { health: true, config: { healthPollMs: 300 } });
    for (const [i, name] of ['s1', 's2'].entries()) members.push(await env.members.add(name, `${env.net}.${101 + i}`, PORT, 'sctp'));
  });

  after(async () => {
    await env?.close();
  });

  test('associations through the VIP reach both members; an SCTP monitor follows a stopped member', async () => {
    const { app, subnetId } = env;
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'e2e-sctp', vip_subnet_id: subnetId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const lbId = created.body.loadbalancer.id;
    const vip: string = created.body.loadbalancer.vip_address;
    const settle = () => env.settle(lbId);
    await settle();
    const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'SCTP', protocol_port: PORT } });
    assert.equal(listener.status, 201, JSON.stringify(listener.body));
    await settle();
    const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'SCTP', lb_algorithm: 'ROUND_ROBIN' } });
    assert.equal(pool.status, 201, JSON.stringify(pool.body));
    const poolId: string = pool.body.pool.id;
    await settle();
    const memberIds = new Map<string, string>();
    for (const m of members) {
      const res = await app.request('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: m.address, protocol_port: PORT, name: m.name } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      memberIds.set(m.name, res.body.member.id);
      await settle();
    }

    const answering = async (n: number) => {
      const seen: string[] = [];
      for (let i = 0; i < n; i++) {
        const association = await associate(vip, PORT);
        assert.ok('name' in association, `association ${i} through ${vip}:${PORT}: ${'failure' in association ? association.failure : ''}`);
        seen.push(association.name);
      }
      return seen;
    };
    assert.deepEqual([...new Set(await answering(6))].sort(), ['s1', 's2'], 'round robin associations reach both members');

    const monitor = await app.request('POST', '/v2/lbaas/healthmonitors', {
      healthmonitor: { pool_id: poolId, type: 'SCTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1 },
    });
    assert.equal(monitor.status, 201, JSON.stringify(monitor.body));
    await settle();
    const memberStatus = async (name: string) =>
      (await app.request('GET', `/v2/lbaas/pools/${poolId}/members/${memberIds.get(name)}`)).body.member.operating_status as string;
    const waitStatus = (name: string, wanted: string) => waitMemberStatus(app, poolId, memberIds.get(name)!, wanted, 20_000);
    assert.equal(await waitStatus('s2', 'ONLINE'), 'ONLINE', 'an answering member is ONLINE under the SCTP monitor');
    await members[1].stop();
    assert.equal(await waitStatus('s2', 'ERROR'), 'ERROR', 'the SCTP monitor marks the stopped member ERROR');
    assert.equal(await memberStatus('s1'), 'ONLINE');
    assert.deepEqual([...new Set(await answering(4))], ['s1'], 'associations avoid the failed member');
    await members[1].start();
    assert.equal(await waitStatus('s2', 'ONLINE'), 'ONLINE', 'the restarted member comes back ONLINE');

    const del = await app.request('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`);
    assert.equal(del.status, 204);
    await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['DELETED'], 30_000);
  });
});
