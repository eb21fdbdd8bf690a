// Flavor and flavor-profile contract on both back ends: CRUD, list links and filters, every
// documented error, and how a flavor decides a new load balancer's provider and topology
// (disabled / unknown / incompatible flavors, 409 while a load balancer uses one).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';

const PROFILES = '/v2/lbaas/flavorprofiles';
const FLAVORS = '/v2/lbaas/flavors';
const LBS = '/v2/lbaas/loadbalancers';
const MISSING = '00000000-0000-4000-8000-0000000000ee';

for (const backend of BACKENDS) {
  describe(`flavors and flavor profiles (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend);
    });
    after(async () => app?.close());

    async function profile(provider_name: string, data: Record<string, unknown>, name = 'p'): Promise<any> {
      const res = await app.request('POST', PROFILES, { flavorprofile: { name, provider_name, flavor_data: JSON.stringify(data) } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.flavorprofile;
    }
    async function flavor(name: string, profileId: string, extra: Record<string, unknown> = {}): Promise<any> {
      const res = await app.request('POST', FLAVORS, { flavor: { name, flavor_profile_id: profileId, ...extra } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.flavor;
    }
    const createLb = (extra: Record<string, unknown>) => app.request('POST', LBS, { loadbalancer: { vip_subnet_id: SUBNET, ...extra } });
    const topologyOf = async (id: string) =>
      (await app.rt.database.db.selectFrom('load_balancer').select('topology').where('id', '=', id).executeTakeFirstOrThrow()).topology;

    test('flavor profile CRUD keeps flavor_data as the JSON text given', async () => {
      const data = '{"loadbalancer_topology": "SINGLE", "compute_flavor": "m1.amphora"}';
      const created = await app.request('POST', PROFILES, { flavorprofile: { name: 'gold-profile', provider_name: 'amphora', flavor_data: data } });
      assert.equal(created.status, 201);
      const p = created.body.flavorprofile;
      assert.deepEqual(Object.keys(p).sort(), ['flavor_data', 'id', 'name', 'provider_name']);
      assert.equal(p.flavor_data, data);
      assert.deepEqual((await app.request('GET', `${PROFILES}/${p.id}`)).body.flavorprofile, p);
      const renamed = await app.request('PUT', `${PROFILES}/${p.id}`, { flavorprofile: { name: 'platinum-profile' } });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.flavorprofile.name, 'platinum-profile');
      const list = await app.request('GET', `${PROFILES}?name=platinum-profile`);
      assert.equal(list.body.flavorprofiles.length, 1);
      assert.ok(Array.isArray(list.body.flavorprofile_links), 'the links key is singular');
      assert.equal(list.body.flavorprofiles_links, undefined);
      assert.equal((await app.request('DELETE', `${PROFILES}/${p.id}`)).status, 204);
      assert.equal((await app.request('GET', `${PROFILES}/${p.id}`)).status, 404);
    });

    test('flavor profile errors: bad JSON, unknown key, bad value, provider not enabled, ACTIVE_STANDBY, nulls, 404', async () => {
      const post = (provider_name: string, flavor_data: string) => app.request('POST', PROFILES, { flavorprofile: { name: 'x', provider_name, flavor_data } });
      let res = await post('amphora', '{nope');
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, '{nope is not a valid option for flavor_data');
      res = await post('amphora', '{"colour": "red"}');
      assert.equal(res.status, 400);
      assert.match(res.body.faultstring, /'colour' is not a supported key/);
      res = await post('amphora', '{"loadbalancer_topology": "SIDEWAYS"}');
      assert.equal(res.status, 400);
      assert.match(res.body.faultstring, /loadbalancer_topology must be one of SINGLE, ACTIVE_STANDBY/);
      res = await post('nosuch', '{}');
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, "Provider 'nosuch' is not enabled.");
      res = await post('amphora', '{"loadbalancer_topology": "ACTIVE_STANDBY"}');
      assert.equal(res.status, 501, 'the amphora driver places single amphorae only');
      res = await app.request('POST', PROFILES, { flavorprofile: { name: 'x', provider_name: 'noop' } });
      assert.equal(res.status, 400);
      assert.match(res.body.faultstring, /flavor_data.*Mandatory field missing/);
      res = await app.request('POST', PROFILES, { flavorprofile: { name: 'x', provider_name: 'noop', flavor_data: 'x'.repeat(4097) } });
      assert.equal(res.status, 400);

      const p = await profile('noop', {});
      for (const field of ['name', 'provider_name', 'flavor_data']) {
        res = await app.request('PUT', `${PROFILES}/${p.id}`, { flavorprofile: { [field]: null } });
        assert.equal(res.status, 400);
        assert.equal(res.body.faultstring, `None is not a valid option for ${field}`);
      }
      res = await app.request('PUT', `${PROFILES}/${p.id}`, { flavorprofile: { flavor_data: '[]' } });
      assert.equal(res.status, 400);
      res = await app.request('PUT', `${PROFILES}/${p.id}`, { flavorprofile: { provider_name: 'amphora', flavor_data: '{"colour": 1}' } });
      assert.equal(res.status, 400, 'new data is validated by the new provider');
      for (const method of ['GET', 'DELETE']) {
        res = await app.request(method, `${PROFILES}/${MISSING}`);
        assert.equal(res.status, 404);
        assert.equal(res.body.faultstring, `Flavor Profile ${MISSING} not found.`);
      }
      assert.equal((await app.request('PUT', `${PROFILES}/not-a-uuid`, { flavorprofile: { name: 'y' } })).status, 404);
    });

    test('flavor CRUD, unique names, a missing profile, and 404s', async () => {
      const p = await profile('noop', {});
      const f = await flavor('bronze', p.id, { description: 'cheap' });
      assert.deepEqual(f, { id: f.id, name: 'bronze', description: 'cheap', enabled: true, flavor_profile_id: p.id });
      assert.deepEqual((await app.request('GET', `${FLAVORS}/${f.id}`)).body.flavor, f);
      let res = await app.request('POST', FLAVORS, { flavor: { name: 'bronze', flavor_profile_id: p.id } });
      assert.equal(res.status, 409);
      assert.equal(res.body.faultstring, 'A flavor of bronze already exists.');
      res = await app.request('POST', FLAVORS, { flavor: { name: 'orphan', flavor_profile_id: MISSING } });
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, `${MISSING} is not a valid option for flavor_profile_id`);
      res = await app.request('POST', FLAVORS, { flavor: { flavor_profile_id: p.id } });
      assert.equal(res.status, 400);
      res = await app.request('PUT', `${FLAVORS}/${f.id}`, { flavor: { flavor_profile_id: p.id } });
      assert.equal(res.status, 400, 'the profile is create-only');
      res = await app.request('PUT', `${FLAVORS}/${f.id}`, { flavor: { name: 'bronze2', description: null, enabled: false } });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.flavor, { ...f, name: 'bronze2', description: '', enabled: false });
      await flavor('silver', p.id);
      res = await app.request('PUT', `${FLAVORS}/${f.id}`, { flavor: { name: 'silver' } });
      assert.equal(res.status, 409);
      const list = await app.request('GET', `${FLAVORS}?enabled=false&fields=name`);
      assert.deepEqual(list.body.flavors, [{ name: 'bronze2' }]);
      assert.ok(Array.isArray(list.body.flavors_links));
      for (const method of ['GET', 'DELETE']) {
        res = await app.request(method, `${FLAVORS}/${MISSING}`);
        assert.equal(res.status, 404);
        assert.equal(res.body.faultstring, `Flavor ${MISSING} not found.`);
      }
      assert.equal((await app.request('PUT', `${FLAVORS}/${MISSING}`, { flavor: { enabled: true } })).status, 404);
      res = await app.request('DELETE', `${PROFILES}/${p.id}`);
      assert.equal(res.status, 409, 'a profile used by a flavor cannot be deleted');
      assert.equal(res.body.faultstring, `Flavor Profile ${p.id} is in use and cannot be modified.`);
    });

    test('a flavor decides provider and topology of a new load balancer', async () => {
      const p = await profile('noop', { loadbalancer_topology: 'ACTIVE_STANDBY' });
      const f = await flavor('ha', p.id);
      const res = await createLb({ flavor_id: f.id });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.loadbalancer.flavor_id, f.id);
      assert.equal(res.body.loadbalancer.provider, 'noop');
      assert.equal(await topologyOf(res.body.loadbalancer.id), 'ACTIVE_STANDBY');
      const plain = await createLb({});
      assert.equal(plain.body.loadbalancer.flavor_id, null);
      assert.equal(await topologyOf(plain.body.loadbalancer.id), 'SINGLE', 'the configured default');
      await app.waitFor(`${LBS}/${res.body.loadbalancer.id}`, 'loadbalancer');
      const listed = await app.request('GET', `${LBS}?flavor_id=${f.id}`);
      assert.deepEqual(listed.body.loadbalancers.map((l: any) => l.id), [res.body.loadbalancer.id]);
    });

    test('LB create errors: unknown, disabled and provider-incompatible flavors', async () => {
      let res = await createLb({ flavor_id: MISSING });
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, 'Invalid flavor_id.');
      const p = await profile('noop', {});
      const off = await flavor('off', p.id, { enabled: false });
      res = await createLb({ flavor_id: off.id });
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, `The selected flavor is not allowed in this deployment: ${off.id}`);
      const amp = await flavor('amp', (await profile('amphora', { compute_flavor: 'm1' })).id);
      res = await createLb({ flavor_id: amp.id, provider: 'noop' });
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, `Flavor '${amp.id}' is not compatible with provider 'noop'`);
      const count = await app.rt.database.db.selectFrom('load_balancer').select('id').where('flavor_id', 'in', [off.id, amp.id]).execute();
      assert.equal(count.length, 0, 'nothing was created');
    });

    test('a flavor in use cannot be deleted, nor its profile changed; once the LB is gone it can', async () => {
      const p = await profile('noop', {});
      const f = await flavor('busy', p.id);
      const lb = await createLb({ flavor_id: f.id });
      assert.equal(lb.status, 201);
      const lbPath = `${LBS}/${lb.body.loadbalancer.id}`;
      await app.waitFor(lbPath, 'loadbalancer');
      let res = await app.request('DELETE', `${FLAVORS}/${f.id}`);
      assert.equal(res.status, 409);
      assert.equal(res.body.faultstring, `Flavor ${f.id} is in use and cannot be modified.`);
      res = await app.request('PUT', `${PROFILES}/${p.id}`, { flavorprofile: { flavor_data: '{"a": 1}' } });
      assert.equal(res.status, 409);
      res = await app.request('PUT', `${PROFILES}/${p.id}`, { flavorprofile: { provider_name: 'amphora' } });
      assert.equal(res.status, 409);
      res = await app.request('PUT', `${PROFILES}/${p.id}`, { flavorprofile: { name: 'renaming is fine' } });
      assert.equal(res.status, 200);
      assert.equal((await app.request('DELETE', lbPath)).status, 204);
      await app.waitFor(lbPath, 'loadbalancer', ['DELETED']);
      assert.equal((await app.request('DELETE', `${FLAVORS}/${f.id}`)).status, 204);
      assert.equal((await app.request('DELETE', `${PROFILES}/${p.id}`)).status, 204);
    });
  });
}
