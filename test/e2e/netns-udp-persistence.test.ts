// SOURCE_IP session persistence on a UDP pool, end to end on the netns compute driver (root):
// the pool's algorithm (round robin) picks a client's first member, the amphora's persistence
// map keeps the client there for persistence_timeout after its last datagram, and then lets it
// move; a table replaced for a member change remembers the client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Member } from '../helpers/netns.ts';
import { startNetnsApp, type NetnsApp } from '../helpers/netns-app.ts';
import { udpAsk } from '../helpers/udp.ts';

const PORT = 5300;
const MEMBER_PORT = 5353;
const TIMEOUT_S = 5;

describe('UDP SOURCE_IP persistence on the netns compute driver', () => {
  let env: NetnsApp;
  const members: Member[] = [];

  before(async () => {
    env = await startNetnsApp('e2e-udp-persist');
    for (const [i, name] of ['m1', 'm2', 'm3'].entries()) members.push(await env.members.add(name, `${env.net}.${101 + i}`, MEMBER_PORT, 'udp'));
  });

  after(async () => {
    await env?.close();
  });

  test('a client sticks to its member for the timeout, may move after it, and is remembered across a member change', async () => {
    const { app, subnetId } = env;
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'e2e-udp-persist', vip_subnet_id: subnetId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const lbId = created.body.loadbalancer.id;
    const vip: string = created.body.loadbalancer.vip_address;
    const settle = () => env.settle(lbId);
    await settle();
    const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'UDP', protocol_port: PORT } });
    assert.equal(listener.status, 201, JSON.stringify(listener.body));
    await settle();
    const pool = await app.request('POST', '/v2/lbaas/pools', {
      pool: { listener_id: listener.body.listener.id, protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'SOURCE_IP', persistence_timeout: TIMEOUT_S } },
    });
    assert.equal(pool.status, 201, JSON.stringify(pool.body));
    const poolId: string = pool.body.pool.id;
    await settle();
    for (const m of members.slice(0, 2)) {
      const res = await app.request('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: m.address, protocol_port: m.port, name: m.name } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await settle();
    }
    const amphora = (await app.request('GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`)).body.amphorae[0];
    const netns = (await app.rt.database.db.selectFrom('amphora').select('netns').where('id', '=', amphora.id).executeTakeFirstOrThrow()).netns!;
    const remembered = async () => {
      const { stdout } = await promisify(execFile)('ip', ['netns', 'exec', netns, 'nft', '-j', 'list', 'table', 'inet', 'fulcrum_l4']);
      const maps = (JSON.parse(stdout).nftables as { map?: { name: string; elem?: unknown[] } }[]).filter((i) => i.map?.name.startsWith('persist4a-'));
      return maps.flatMap((m) => m.map!.elem ?? []).map((e) => JSON.stringify(e));
    };

    // Every ask is a new flow (a fresh source port): without persistence round robin would
    // alternate between the members; the map keeps the host on one.
    let nextPort = 22_000;
    const ask = async () => {
      const reply = await udpAsk(vip, PORT, 'q', nextPort++);
      assert.ok(reply, `no answer from ${vip}:${PORT}`);
      return reply.split(' ')[0];
    };
    const first = await ask();
    for (let i = 0; i < 6; i++) assert.equal(await ask(), first, `new flow ${i + 1} sticks to ${first}`);
    assert.equal((await remembered()).length, 1, 'the map remembers the one client');

    // Silence for longer than the timeout: the client is forgotten, and round robin, whose last
    // pick was its first flow, now gives it the other member.
    await sleep((TIMEOUT_S + 1.5) * 1000);
    assert.deepEqual(await remembered(), [], 'forgotten after the timeout');
    const moved = await ask();
    assert.notEqual(moved, first, 'after the timeout the client may move, and round robin moves it');
    for (let i = 0; i < 3; i++) assert.equal(await ask(), moved, 'and it sticks to its new member');

    // A member change replaces the table; the client's entry is carried into the new one.
    const add = await app.request('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: members[2].address, protocol_port: MEMBER_PORT, name: 'm3' } });
    assert.equal(add.status, 201, JSON.stringify(add.body));
    await settle();
    assert.equal((await remembered()).length, 1, 'the new table remembers the client');
    for (let i = 0; i < 6; i++) assert.equal(await ask(), moved, `after the member change, new flow ${i + 1} still reaches ${moved}`);

    const del = await app.request('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`);
    assert.equal(del.status, 204);
    await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['DELETED'], 30_000);
  });
});
