// A spare amphora on the netns compute driver (root): housekeeping makes its namespace on the
// bridge without any VIP; a create takes it, the VIP is plugged into that namespace (address +
// gratuitous ARP) and serves traffic from the host. Everything is removed afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpGet, type Member } from '../helpers/netns.ts';
import { SparePoolKeeper } from '../../src/housekeeping/spare-pool-keeper.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { addresses, startNetnsApp, type NetnsApp } from '../helpers/netns-app.ts';

describe('a spare amphora on the netns compute driver', () => {
  let env: NetnsApp;
  let member: Member;

  before(async () => {
    env = await startNetnsApp('e2e-netns-spare');
    member = await env.members.add('m1', `${env.net}.101`, 8080);
  });

  after(async () => {
    await env?.close();
  });

  test('the spare namespace has no VIP until a create takes it; then it serves the VIP', async () => {
    const { app, net, prefix, subnetId } = env;
    const keeper = new SparePoolKeeper({ db: app.rt.database.db, dataPlane: app.rt.dataPlane }, 1, 60_000, createLogger(process.env.FULCRUM_TEST_LOG ?? 'silent'));
    assert.equal(await keeper.fillOnce(), 1);
    const [spare] = await app.rt.database.db.selectFrom('amphora').selectAll().where('status', '=', 'READY').execute();
    assert.ok(spare.netns?.startsWith(prefix), `the spare has its own namespace (${spare.netns})`);
    assert.deepEqual((await addresses(spare.netns!)).filter((a) => a.startsWith(`${net}.`)), [], 'no VIP in the spare');

    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnetId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const lbId = created.body.loadbalancer.id;
    const vip = created.body.loadbalancer.vip_address;
    const settle = () => env.settle(lbId);
    await settle();
    const serving = await app.rt.database.db.selectFrom('amphora').select(['id', 'status']).where('load_balancer_id', '=', lbId).execute();
    assert.deepEqual(serving, [{ id: spare.id, status: 'ALLOCATED' }]);
    assert.ok((await addresses(spare.netns!)).includes(vip), 'the VIP was plugged into the spare namespace');

    const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } });
    await settle();
    const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    await settle();
    await app.request('POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: member.address, protocol_port: member.port, subnet_id: subnetId } });
    await settle();
    assert.deepEqual(await httpGet(`http://${vip}/`), { status: 200, body: 'm1' });
  });
});
