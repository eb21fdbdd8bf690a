// Where ACTIVE_STANDBY can be placed, judged at the API before anything is written (the worker
// is off): the process compute driver, whose amphorae share no L2 segment for VRRP, refuses it
// with a 501 that names the netns driver, from the default topology and from a flavor alike;
// the netns compute driver takes it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';

const REFUSAL = /Provider 'amphora' does not support a requested option: loadbalancer_topology ACTIVE_STANDBY is not available with the process compute driver, .*netns compute driver \(FULCRUM_COMPUTE_DRIVER=netns\)/;

async function countLbs(app: TestApp): Promise<number> {
  return (await app.rt.database.db.selectFrom('load_balancer').select('id').execute()).length;
}

describe('ACTIVE_STANDBY placement', () => {
  const apps: TestApp[] = [];
  after(async () => {
    for (const app of apps) await app.close();
  });

  test('the process driver refuses it with a 501 that says which driver places pairs', async () => {
    const app = await startTestApp('pglite', { worker: false, config: { defaultProvider: 'amphora', computeDriver: 'process', defaultTopology: 'ACTIVE_STANDBY' } });
    apps.push(app);
    const res = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
    assert.equal(res.status, 501, JSON.stringify(res.body));
    assert.match(res.body.faultstring, REFUSAL);
    assert.equal(await countLbs(app), 0, 'nothing written');

    const profile = await app.request('POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'pair', provider_name: 'amphora', flavor_data: '{"loadbalancer_topology": "ACTIVE_STANDBY"}' } });
    assert.equal(profile.status, 501, 'a flavor profile asking for pairs is refused too');
    assert.match(profile.body.faultstring, REFUSAL);
  });

  test('the netns driver accepts it', async () => {
    const app = await startTestApp('pglite', { worker: false, config: { defaultProvider: 'amphora', computeDriver: 'netns', defaultTopology: 'ACTIVE_STANDBY' } });
    apps.push(app);
    const res = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const row = await app.rt.database.db.selectFrom('load_balancer').select('topology').where('id', '=', res.body.loadbalancer.id).executeTakeFirstOrThrow();
    assert.equal(row.topology, 'ACTIVE_STANDBY');
  });
});
