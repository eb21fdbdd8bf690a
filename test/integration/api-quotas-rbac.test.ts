// Who may do what with quotas, flavors, zones and providers (docs/octavia-compatibility.md §7.3), judged by the
// default policy with Fulcrum API keys, on both back ends; and quota enforcement outside noauth.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';
import { createApiKey } from '../../src/auth/apikey-store.ts';

for (const backend of BACKENDS) {
  describe(`quota, flavor, zone and provider policy (${backend})`, () => {
    let app: TestApp;
    const keys: Record<string, string> = {};
    let flavorId: string;
    before(async () => {
      app = await startTestApp(backend, { config: { authStrategy: 'apikey' } });
      const key = async (projectId: string, roles: string[]) => (await createApiKey(app.rt.database.db, { projectId, roles, name: roles.join('+') })).key;
      keys.memberP = await key('project-p', ['load-balancer_member']);
      keys.readerP = await key('project-p', ['load-balancer_observer']);
      keys.plainMemberP = await key('project-p', ['member']);
      keys.quotaAdmin = await key('project-qa', ['load-balancer_quota_admin']);
      keys.admin = await key('project-admin', ['admin']);
      const profile = await as('admin')('POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'p', provider_name: 'noop', flavor_data: '{}' } });
      const flavor = await as('admin')('POST', '/v2/lbaas/flavors', { flavor: { name: 'f', flavor_profile_id: profile.body.flavorprofile.id } });
      flavorId = flavor.body.flavor.id;
    });
    after(async () => app?.close());

    const as = (who: string) => (method: string, path: string, body?: unknown) => app.request(method, path, body, { 'x-auth-token': keys[who] });

    test('quotas: observers see their own; only quota admins and admins see others or write', async () => {
      assert.equal((await as('readerP')('GET', '/v2/lbaas/quotas/project-p')).status, 200);
      assert.equal((await as('readerP')('GET', '/v2/lbaas/quotas/project-p/default')).status, 200);
      assert.equal((await as('memberP')('GET', '/v2/lbaas/quotas/project-x')).status, 403);
      assert.equal((await as('memberP')('GET', '/v2/lbaas/quotas/project-x/default')).status, 403);
      assert.equal((await as('memberP')('PUT', '/v2/lbaas/quotas/project-p', { quota: { loadbalancer: 100 } })).status, 403);
      assert.equal((await as('memberP')('DELETE', '/v2/lbaas/quotas/project-p')).status, 403);
      assert.equal((await as('quotaAdmin')('PUT', '/v2/lbaas/quotas/project-p', { quota: { loadbalancer: 1 } })).status, 202);
      assert.equal((await as('quotaAdmin')('GET', '/v2/lbaas/quotas/project-p')).body.quota.loadbalancer, 1);
    });

    test('quota lists are narrowed to the caller unless it may see every project', async () => {
      await as('admin')('PUT', '/v2/lbaas/quotas/project-other', { quota: { pool: 2 } });
      const own = await as('readerP')('GET', '/v2/lbaas/quotas');
      assert.equal(own.status, 200);
      assert.deepEqual(own.body.quotas.map((q: any) => q.project_id), ['project-p']);
      assert.equal((await as('readerP')('GET', '/v2/lbaas/quotas?project_id=project-other')).status, 403);
      const all = await as('quotaAdmin')('GET', '/v2/lbaas/quotas');
      assert.ok(all.body.quotas.some((q: any) => q.project_id === 'project-other'));
    });

    test('quotas are enforced under apikey authentication too', async () => {
      await as('admin')('PUT', '/v2/lbaas/quotas/project-p', { quota: { loadbalancer: 1 } });
      const create = () => as('memberP')('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
      assert.equal((await create()).status, 201);
      const refused = await create();
      assert.equal(refused.status, 403);
      assert.equal(refused.body.faultstring, 'Quota has been met for resources: Load Balancer');
    });

    test('flavors and zones: observers read, only admins write; profiles and capabilities are admin-only', async () => {
      assert.equal((await as('readerP')('GET', '/v2/lbaas/flavors')).status, 200);
      assert.equal((await as('readerP')('GET', `/v2/lbaas/flavors/${flavorId}`)).status, 200);
      assert.equal((await as('readerP')('GET', '/v2/lbaas/availabilityzones')).status, 200);
      assert.equal((await as('readerP')('GET', '/v2/lbaas/providers')).status, 200);
      assert.equal((await as('memberP')('PUT', `/v2/lbaas/flavors/${flavorId}`, { flavor: { enabled: false } })).status, 403);
      assert.equal((await as('memberP')('DELETE', `/v2/lbaas/flavors/${flavorId}`)).status, 403);
      assert.equal((await as('memberP')('POST', '/v2/lbaas/flavors', { flavor: { name: 'g', flavor_profile_id: flavorId } })).status, 403);
      for (const path of ['/v2/lbaas/flavors', `/v2/lbaas/flavors/${flavorId}`, '/v2/lbaas/availabilityzones', '/v2/lbaas/providers', '/v2/lbaas/quotas/project-p']) {
        assert.equal((await as('plainMemberP')('GET', path)).status, 403, `${path}: Keystone's member role alone is not enough`);
      }
      assert.equal((await as('memberP')('GET', '/v2/lbaas/flavorprofiles')).status, 403);
      assert.equal((await as('memberP')('GET', '/v2/lbaas/availabilityzoneprofiles')).status, 403);
      assert.equal((await as('memberP')('POST', '/v2/lbaas/availabilityzones', { availability_zone: { name: 'z', availability_zone_profile_id: flavorId } })).status, 403);
      assert.equal((await as('memberP')('GET', '/v2/lbaas/providers/amphora/flavor_capabilities')).status, 403);
      assert.equal((await as('memberP')('GET', '/v2/lbaas/providers/amphora/availability_zone_capabilities')).status, 403);
      assert.equal((await as('admin')('GET', '/v2/lbaas/providers/amphora/flavor_capabilities')).status, 200);
      assert.equal((await as('admin')('GET', '/v2/lbaas/flavorprofiles')).status, 200);
    });
  });
}
