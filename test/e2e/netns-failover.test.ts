// Failover and additional VIPs on the netns compute driver (root): a load balancer with a VIP on
// each of two subnets of one network answers on both from the host; a failover under a request
// loop boots a replacement namespace without the VIPs, configures it, moves both VIPs over
// (address + gratuitous ARP) and removes the old namespace, and both VIPs keep answering.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freeTestSubnet, httpGet, type Member } from '../helpers/netns.ts';
import { ip } from '../../src/compute/netns/ip-command.ts';
import { addresses, namespaces, startNetnsApp, type NetnsApp } from '../helpers/netns-app.ts';

const MAX_REQUESTS = 20_000;
const MAX_LOAD_MS = 60_000;

describe('failover and additional VIPs on the netns compute driver', () => {
  let env: NetnsApp;
  let net2: string;
  let subnet2Id: string;
  let member: Member;

  before(async () => {
    env = await startNetnsApp('e2e-netns-fo', { health: true, config: { healthPollMs: 300 } });
    do net2 = await freeTestSubnet();
    while (net2 === env.net);
    const s2 = await env.app.request('POST', '/v2/fulcrum/subnets', { subnet: { network_id: env.networkId, cidr: `${net2}.0/24`, gateway_ip: `${net2}.1` } });
    assert.equal(s2.status, 201, JSON.stringify(s2.body));
    subnet2Id = s2.body.subnet.id;
    member = await env.members.add('m1', `${env.net}.101`, 8080);
    // The host reaches the second subnet over the same bridge (the bridge goes with the prefix).
    await ip(['addr', 'replace', `${net2}.1/24`, 'dev', `${env.prefix}-br0`]);
  });

  after(async () => {
    await env?.close();
  });

  test('both VIPs answer, before and after a failover that moves them to a new namespace', async () => {
    const { app, subnetId } = env;
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: { vip_subnet_id: subnetId, additional_vips: [{ subnet_id: subnet2Id }] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const lbId = created.body.loadbalancer.id;
    const vips: string[] = [created.body.loadbalancer.vip_address, created.body.loadbalancer.additional_vips[0].ip_address];
    assert.ok(vips[1].startsWith(`${net2}.`), `the additional VIP ${vips[1]} is on the second subnet`);
    const settle = () => env.settle(lbId);
    await settle();
    const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } });
    await settle();
    const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    await settle();
    const m = await app.request('POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: member.address, protocol_port: member.port, subnet_id: subnetId } });
    assert.equal(m.status, 201);
    await settle();

    const [old] = await app.rt.database.db.selectFrom('amphora').selectAll().where('load_balancer_id', '=', lbId).where('status', '<>', 'DELETED').execute();
    assert.deepEqual((await addresses(old.netns!)).filter((a) => vips.includes(a)).sort(), [...vips].sort(), 'the amphora holds both VIPs');
    for (const vip of vips) assert.deepEqual(await httpGet(`http://${vip}/`), { status: 200, body: 'm1' }, vip);

    const result = { ok: 0, failures: [] as string[] };
    let stopping = false;
    const deadline = Date.now() + MAX_LOAD_MS;
    const load = (async () => {
      for (let i = 0; i < MAX_REQUESTS && !stopping && Date.now() < deadline; i++) {
        try {
          const res = await httpGet(`http://${vips[0]}/`, 2000);
          if (res.status === 200) result.ok++;
          else result.failures.push(`HTTP ${res.status}`);
        } catch (err) {
          result.failures.push((err as Error).message);
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await app.request('PUT', `/v2/lbaas/loadbalancers/${lbId}/failover`)).status, 202);
    await settle();
    await new Promise((r) => setTimeout(r, 300));
    stopping = true;
    await load;

    const live = await app.rt.database.db.selectFrom('amphora').selectAll().where('load_balancer_id', '=', lbId).where('status', '<>', 'DELETED').execute();
    assert.equal(live.length, 1);
    const [replacement] = live;
    assert.notEqual(replacement.id, old.id);
    const all = await namespaces();
    assert.ok(!all.includes(old.netns!), 'the old namespace is gone');
    assert.ok(all.includes(replacement.netns!), 'the replacement namespace exists');
    assert.deepEqual((await addresses(replacement.netns!)).filter((a) => vips.includes(a)).sort(), [...vips].sort(), 'both VIPs moved over');
    for (const vip of vips) assert.deepEqual(await httpGet(`http://${vip}/`), { status: 200, body: 'm1' }, `${vip} after the failover`);
    assert.ok(result.ok > 0);
    // The old namespace goes only after the new one holds and announced the VIPs: at most the
    // connections the old HAProxy had open or queued when it was removed fail.
    assert.ok(result.failures.length <= 3, `${result.failures.length} of ${result.ok + result.failures.length} failed: ${result.failures.slice(0, 5).join('; ')}`);

    assert.equal((await app.request('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`)).status, 204);
    await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['DELETED'], 30_000);
    assert.ok(!(await namespaces()).includes(replacement.netns!), 'delete removes the replacement namespace');
  });
});
