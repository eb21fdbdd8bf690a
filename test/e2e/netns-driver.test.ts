// End to end on the netns compute driver (root): an API create gives an amphora namespace on a
// bridge, with HAProxy on the VIP spreading requests from the host over members that live in
// their own namespaces on the same bridge; changes and a health monitor follow; deletes take the
// namespace, the agent's run directory and the VIP allocation away again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { httpGet, type Member } from '../helpers/netns.ts';
import { ip } from '../../src/compute/netns/ip-command.ts';
import { namespaces, startNetnsApp, waitMemberStatus, type NetnsApp } from '../helpers/netns-app.ts';

/** Which servers answer `n` requests through `url`, each on a fresh connection. */
async function answering(url: string, n: number): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const res = await httpGet(url, 2000);
    assert.equal(res.status, 200, `GET ${url}: ${res.status} ${res.body}`);
    seen.add(res.body);
  }
  return [...seen].sort();
}

describe('amphora provider on the netns compute driver', () => {
  let env: NetnsApp;
  const members: Member[] = [];

  before(async () => {
    env = await startNetnsApp('e2e-netns', { health: true, config: { healthPollMs: 300 } });
    for (const [i, name] of ['m1', 'm2', 'm3'].entries()) members.push(await env.members.add(name, `${env.net}.${101 + i}`, 8080));
  });

  after(async () => {
    await env?.close();
  });

  test('create → traffic from the host through the VIP; changes follow; deletes leave nothing behind', async () => {
    const { app, net, subnetId, prefix, dataDir } = env;
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'e2e-netns', vip_subnet_id: subnetId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const lbId = created.body.loadbalancer.id;
    const vip: string = created.body.loadbalancer.vip_address;
    assert.ok(vip.startsWith(`${net}.`) && vip !== `${net}.1`, `VIP ${vip} comes from the subnet and is not its gateway`);
    const settle = () => env.settle(lbId);
    await settle();

    const [amphora] = await app.rt.database.db.selectFrom('amphora').selectAll().where('load_balancer_id', '=', lbId).execute();
    assert.ok(amphora.netns?.startsWith(`${prefix}-`), `amphora namespace ${amphora.netns} carries the test's prefix`);
    assert.ok((await namespaces()).includes(amphora.netns!), 'the amphora namespace exists');
    const addrs = JSON.parse((await ip(['-n', amphora.netns!, '-j', 'addr', 'show', 'dev', 'eth0'])).stdout)[0].addr_info.map((a: { local: string }) => a.local);
    assert.ok(addrs.includes(vip), `the VIP ${vip} is on the amphora's eth0 (${addrs.join(', ')})`);
    const runDir = join(dataDir, 'agent', 'run');
    assert.deepEqual(readdirSync(runDir), [amphora.id], 'the agent runs this amphora');

    const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } });
    assert.equal(listener.status, 201, JSON.stringify(listener.body));
    await settle();
    const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    assert.equal(pool.status, 201, JSON.stringify(pool.body));
    await settle();
    const poolId = pool.body.pool.id;
    const memberIds = new Map<string, string>();
    const addMember = async (m: Member) => {
      const res = await app.request('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { name: m.name, address: m.address, protocol_port: m.port, subnet_id: subnetId } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      memberIds.set(m.name, res.body.member.id);
      await settle();
    };
    const [m1, m2, m3] = members;
    await addMember(m1);
    await addMember(m2);

    // From the host: through the bridge's address into the amphora namespace, and from there to
    // the member namespaces.
    const url = `http://${vip}/`;
    assert.deepEqual(await answering(url, 12), ['m1', 'm2'], 'round robin reaches every member');

    await addMember(m3);
    assert.deepEqual(await answering(url, 15), ['m1', 'm2', 'm3'], 'an added member gets traffic');

    const removed = await app.request('DELETE', `/v2/lbaas/pools/${poolId}/members/${memberIds.get('m1')}`);
    assert.equal(removed.status, 204);
    await settle();
    assert.deepEqual(await answering(url, 12), ['m2', 'm3'], 'a removed member gets no traffic');

    const down = await app.request('PUT', `/v2/lbaas/pools/${poolId}/members/${memberIds.get('m2')}`, { member: { admin_state_up: false } });
    assert.equal(down.status, 200);
    await settle();
    assert.deepEqual(await answering(url, 10), ['m3'], 'an admin-down member gets no traffic');
    await app.request('PUT', `/v2/lbaas/pools/${poolId}/members/${memberIds.get('m2')}`, { member: { admin_state_up: true } });
    await settle();
    assert.deepEqual(await answering(url, 12), ['m2', 'm3'], 'admin-up again: the member is back');

    const monitor = await app.request('POST', '/v2/lbaas/healthmonitors', {
      healthmonitor: { pool_id: poolId, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1 },
    });
    assert.equal(monitor.status, 201, JSON.stringify(monitor.body));
    await settle();
    const memberStatus = async (name: string) =>
      (await app.request('GET', `/v2/lbaas/pools/${poolId}/members/${memberIds.get(name)}`)).body.member.operating_status as string;
    const waitStatus = (name: string, wanted: string) => waitMemberStatus(app, poolId, memberIds.get(name)!, wanted, 15_000);
    assert.equal(await waitStatus('m3', 'ONLINE'), 'ONLINE', 'a checked, answering member is ONLINE');
    await m3.stop();
    assert.equal(await waitStatus('m3', 'ERROR'), 'ERROR', 'the monitor marks the stopped member down');
    assert.equal(await memberStatus('m2'), 'ONLINE', 'the other member stays ONLINE');
    assert.deepEqual(await answering(url, 10), ['m2'], 'traffic avoids the failed member');
    await m3.start();
    assert.equal(await waitStatus('m3', 'ONLINE'), 'ONLINE', 'the restarted member comes back ONLINE');
    assert.deepEqual(await answering(url, 12), ['m2', 'm3'], 'and gets traffic again');

    const delListener = await app.request('DELETE', `/v2/lbaas/listeners/${listener.body.listener.id}`);
    assert.equal(delListener.status, 204);
    await settle();
    await assert.rejects(httpGet(url, 1000), { code: 'ECONNREFUSED' }, 'the listener port is closed (the VIP itself still answers)');

    const del = await app.request('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`);
    assert.equal(del.status, 204);
    await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['DELETED'], 30_000);
    assert.ok(!(await namespaces()).includes(amphora.netns!), 'the amphora namespace is gone');
    assert.equal(existsSync(`/sys/class/net/${prefix}v${amphora.netns!.slice(prefix.length + 1)}`), false, "the amphora's host veth is gone");
    assert.deepEqual(existsSync(runDir) ? readdirSync(runDir) : [], [], 'the agent run directory is gone');
    const rows = await app.rt.database.db.selectFrom('amphora').select('status').where('load_balancer_id', '=', lbId).execute();
    assert.ok(rows.length > 0, 'the load balancer had an amphora');
    assert.deepEqual(rows.filter((a) => a.status !== 'DELETED'), []);
    await assert.rejects(httpGet(url, 1000), 'nothing answers on the VIP any more');

    // The VIP was given back: the next load balancer on the subnet gets the same address.
    const again = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'e2e-netns-2', vip_subnet_id: subnetId } });
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(again.body.loadbalancer.vip_address, vip, 'the released VIP is allocated again');
    const againId = again.body.loadbalancer.id;
    const lb2 = await app.waitFor(`/v2/lbaas/loadbalancers/${againId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 30_000);
    assert.equal(lb2.provisioning_status, 'ACTIVE');
    const [amphora2] = await app.rt.database.db.selectFrom('amphora').selectAll().where('load_balancer_id', '=', againId).execute();
    assert.ok((await namespaces()).includes(amphora2.netns!));
    assert.equal((await app.request('DELETE', `/v2/lbaas/loadbalancers/${againId}`)).status, 204);
    await app.waitFor(`/v2/lbaas/loadbalancers/${againId}`, 'loadbalancer', ['DELETED'], 30_000);
    assert.deepEqual((await namespaces()).filter((n) => n.startsWith(`${prefix}-`) && !n.startsWith(`${prefix}-b`)), [], 'no amphora namespace is left');
  });
});
