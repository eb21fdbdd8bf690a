// Availability zone and AZ-profile contract on both back ends: zones addressed by name, CRUD,
// the singular profile links key, every documented error, and a zone at load balancer create
// (unknown / disabled zones, its valid_vip_networks restricting the VIP, 409 while in use).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';

const PROFILES = '/v2/lbaas/availabilityzoneprofiles';
const ZONES = '/v2/lbaas/availabilityzones';
const LBS = '/v2/lbaas/loadbalancers';
const MISSING = '00000000-0000-4000-8000-0000000000ee';
const OTHER_SUBNET = '8b6c4c0e-1d2e-4f1a-9f0a-1b2c3d4e5f61';

for (const backend of BACKENDS) {
  describe(`availability zones and profiles (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend);
    });
    after(async () => app?.close());

    async function profile(provider_name: string, data: Record<string, unknown>, name = 'azp'): Promise<any> {
      const res = await app.request('POST', PROFILES, { availability_zone_profile: { name, provider_name, availability_zone_data: JSON.stringify(data) } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.availability_zone_profile;
    }
    async function zone(name: string, profileId: string, extra: Record<string, unknown> = {}): Promise<any> {
      const res = await app.request('POST', ZONES, { availability_zone: { name, availability_zone_profile_id: profileId, ...extra } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.availability_zone;
    }
    const createLb = (extra: Record<string, unknown>) => app.request('POST', LBS, { loadbalancer: { vip_subnet_id: SUBNET, ...extra } });

    test('AZ profile CRUD and the singular links key', async () => {
      const p = await profile('amphora', { compute_zone: 'nova-1' }, 'zone-profile');
      assert.deepEqual(Object.keys(p).sort(), ['availability_zone_data', 'id', 'name', 'provider_name']);
      assert.equal(p.availability_zone_data, '{"compute_zone":"nova-1"}');
      assert.deepEqual((await app.request('GET', `${PROFILES}/${p.id}`)).body.availability_zone_profile, p);
      const list = await app.request('GET', `${PROFILES}?name=zone-profile`);
      assert.equal(list.body.availability_zone_profiles.length, 1);
      assert.ok(Array.isArray(list.body.availability_zone_profile_links));
      assert.equal(list.body.availability_zone_profiles_links, undefined);
      const res = await app.request('PUT', `${PROFILES}/${p.id}`, { availability_zone_profile: { availability_zone_data: '{"volume_zone": "cinder-1"}' } });
      assert.equal(res.status, 200);
      assert.equal(res.body.availability_zone_profile.availability_zone_data, '{"volume_zone": "cinder-1"}');
      assert.equal((await app.request('DELETE', `${PROFILES}/${p.id}`)).status, 204);
      assert.equal((await app.request('GET', `${PROFILES}/${p.id}`)).status, 404);
    });

    test('AZ profile errors: bad JSON, unknown key, bad value, provider not enabled, nulls, 404', async () => {
      const post = (provider_name: string, availability_zone_data: string) =>
        app.request('POST', PROFILES, { availability_zone_profile: { name: 'x', provider_name, availability_zone_data } });
      let res = await post('amphora', 'nope');
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, 'nope is not a valid option for availability_zone_data');
      res = await post('amphora', '{"region": "x"}');
      assert.equal(res.status, 400);
      assert.match(res.body.faultstring, /'region' is not a supported key/);
      res = await post('amphora', '{"valid_vip_networks": "net"}');
      assert.equal(res.status, 400);
      assert.match(res.body.faultstring, /valid_vip_networks must be a list of UUIDs/);
      res = await post('nosuch', '{}');
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, "Provider 'nosuch' is not enabled.");
      const p = await profile('noop', {});
      for (const field of ['name', 'provider_name', 'availability_zone_data']) {
        res = await app.request('PUT', `${PROFILES}/${p.id}`, { availability_zone_profile: { [field]: null } });
        assert.equal(res.status, 400);
        assert.equal(res.body.faultstring, `None is not a valid option for ${field}`);
      }
      for (const method of ['GET', 'DELETE']) {
        res = await app.request(method, `${PROFILES}/${MISSING}`);
        assert.equal(res.status, 404);
        assert.equal(res.body.faultstring, `Availability Zone Profile ${MISSING} not found.`);
      }
    });

    test('zones are addressed by name: CRUD, unique names, a missing profile, 404s, profile in use', async () => {
      const p = await profile('noop', {});
      const z = await zone('zone-a', p.id, { description: 'first' });
      assert.deepEqual(z, { name: 'zone-a', description: 'first', enabled: true, availability_zone_profile_id: p.id });
      assert.deepEqual((await app.request('GET', `${ZONES}/zone-a`)).body.availability_zone, z);
      let res = await app.request('POST', ZONES, { availability_zone: { name: 'zone-a', availability_zone_profile_id: p.id } });
      assert.equal(res.status, 409);
      assert.equal(res.body.faultstring, 'A availability zone of zone-a already exists.');
      res = await app.request('POST', ZONES, { availability_zone: { name: 'zone-x', availability_zone_profile_id: MISSING } });
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, `${MISSING} is not a valid option for availability_zone_profile_id`);
      res = await app.request('PUT', `${ZONES}/zone-a`, { availability_zone: { name: 'renamed' } });
      assert.equal(res.status, 400, 'only description and enabled can change');
      res = await app.request('PUT', `${ZONES}/zone-a`, { availability_zone: { description: null, enabled: false } });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.availability_zone, { ...z, description: '', enabled: false });
      const list = await app.request('GET', `${ZONES}?enabled=false`);
      assert.deepEqual(list.body.availability_zones.map((x: any) => x.name), ['zone-a']);
      assert.ok(Array.isArray(list.body.availability_zones_links));
      for (const method of ['GET', 'DELETE']) {
        res = await app.request(method, `${ZONES}/nowhere`);
        assert.equal(res.status, 404);
        assert.equal(res.body.faultstring, 'Availability Zone nowhere not found.');
      }
      res = await app.request('PUT', `${PROFILES}/${p.id}`, { availability_zone_profile: { availability_zone_data: '{}' } });
      assert.equal(res.status, 409, 'a profile used by a zone keeps its data');
      res = await app.request('DELETE', `${PROFILES}/${p.id}`);
      assert.equal(res.status, 409);
      assert.equal(res.body.faultstring, `Availability Zone Profile ${p.id} is in use and cannot be modified.`);
      assert.equal((await app.request('DELETE', `${ZONES}/zone-a`)).status, 204);
      assert.equal((await app.request('GET', `${ZONES}/zone-a`)).status, 404);
      assert.equal((await app.request('DELETE', `${PROFILES}/${p.id}`)).status, 204);
    });

    test('a zone at LB create: unknown and disabled zones are refused; the LB shows its zone', async () => {
      let res = await createLb({ availability_zone: 'nowhere' });
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, 'Invalid availability zone.');
      const p = await profile('noop', { compute_zone: 'nova' });
      await zone('zone-off', p.id, { enabled: false });
      res = await createLb({ availability_zone: 'zone-off' });
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, 'The selected availability_zone is not allowed in this deployment: zone-off');
      await zone('zone-on', p.id);
      res = await createLb({ availability_zone: 'zone-on' });
      assert.equal(res.status, 201);
      assert.equal(res.body.loadbalancer.availability_zone, 'zone-on');
      const listed = await app.request('GET', `${LBS}?availability_zone=zone-on`);
      assert.deepEqual(listed.body.loadbalancers.map((l: any) => l.id), [res.body.loadbalancer.id]);
    });

    test("the zone's valid_vip_networks restrict the VIP network", async () => {
      // The noop network driver treats a subnet as its own network.
      const p = await profile('noop', { valid_vip_networks: [SUBNET] });
      await zone('zone-net', p.id);
      const ok = await createLb({ availability_zone: 'zone-net' });
      assert.equal(ok.status, 201);
      const refused = await app.request('POST', LBS, { loadbalancer: { vip_subnet_id: OTHER_SUBNET, availability_zone: 'zone-net' } });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.faultstring, 'Supplied VIP network_id is not allowed by the configuration of this deployment.');
      const rows = await app.rt.database.db.selectFrom('load_balancer').select('id').where('vip_subnet_id', '=', OTHER_SUBNET).execute();
      assert.equal(rows.length, 0, 'the refused create left nothing behind');
    });

    test('a zone in use cannot be deleted until its load balancer is gone', async () => {
      const p = await profile('noop', {});
      await zone('zone-busy', p.id);
      const lb = await createLb({ availability_zone: 'zone-busy' });
      const lbPath = `${LBS}/${lb.body.loadbalancer.id}`;
      await app.waitFor(lbPath, 'loadbalancer');
      const res = await app.request('DELETE', `${ZONES}/zone-busy`);
      assert.equal(res.status, 409);
      assert.equal(res.body.faultstring, 'Availability Zone zone-busy is in use and cannot be modified.');
      assert.equal((await app.request('DELETE', lbPath)).status, 204);
      await app.waitFor(lbPath, 'loadbalancer', ['DELETED']);
      assert.equal((await app.request('DELETE', `${ZONES}/zone-busy`)).status, 204);
    });
  });
}
