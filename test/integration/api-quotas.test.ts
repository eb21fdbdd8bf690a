// Quota contract on both back ends: show/default/list/update/reset with the deprecated aliases,
// every documented error, and enforcement at create time for each object type (PENDING_DELETE
// still counts; a completed delete releases quota; concurrent creates cannot both take the
// last slot; deployment defaults from configuration).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { SUBNET, createActiveLoadBalancer, startTestApp, type TestApp } from '../helpers/app.ts';
import { UNLIMITED_DEFAULTS } from '../../src/model/quota.ts';

const QUOTAS = '/v2/lbaas/quotas';
const ALL_UNLIMITED = {
  loadbalancer: -1, load_balancer: -1, listener: -1, pool: -1, healthmonitor: -1, health_monitor: -1, member: -1, l7policy: -1, l7rule: -1,
};

for (const backend of BACKENDS) {
  describe(`quotas (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend);
    });
    after(async () => app?.close());

    const as = (project: string) => ({ 'x-project-id': project });
    const setQuota = async (project: string, quota: Record<string, unknown>) => {
      const res = await app.request('PUT', `${QUOTAS}/${project}`, { quota });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body.quota;
    };
    const createLb = (project: string) =>
      app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } }, as(project));

    test('any project id shows effective values (defaults), with aliases and project_id/tenant_id', async () => {
      const res = await app.request('GET', `${QUOTAS}/never-seen`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.quota, { ...ALL_UNLIMITED, project_id: 'never-seen', tenant_id: 'never-seen' });
      const defaults = await app.request('GET', `${QUOTAS}/never-seen/default`);
      assert.equal(defaults.status, 200);
      assert.deepEqual(defaults.body.quota, { ...ALL_UNLIMITED, project_id: 'never-seen', tenant_id: 'never-seen' });
    });

    test('PUT answers 202 with effective values; aliases are accepted; null resets one to the default', async () => {
      const q = await setQuota('p-put', { load_balancer: 5, listener: 0, health_monitor: 7 });
      assert.equal(q.loadbalancer, 5);
      assert.equal(q.load_balancer, 5);
      assert.equal(q.listener, 0);
      assert.equal(q.healthmonitor, 7);
      assert.equal(q.pool, -1);
      const again = await setQuota('p-put', { listener: null, loadbalancer: 9, load_balancer: 1 });
      assert.equal(again.listener, -1);
      assert.equal(again.loadbalancer, 9, 'the canonical name wins over its alias');
      assert.equal(again.healthmonitor, 7, 'absent fields are left alone');
      assert.equal((await app.request('GET', `${QUOTAS}/p-put`)).body.quota.loadbalancer, 9);
    });

    test('PUT rejects out-of-range values, unknown fields and a missing wrapper', async () => {
      for (const [quota, text] of [
        [{ loadbalancer: -2 }, /Invalid input for field\/attribute loadbalancer/],
        [{ member: 2_000_000_001 }, /Invalid input for field\/attribute member/],
        [{ pool: 'many' }, /Invalid input for field\/attribute pool/],
        [{ widgets: 1 }, /Unknown attribute for argument quota: widgets/],
      ] as const) {
        const res = await app.request('PUT', `${QUOTAS}/p-bad`, { quota });
        assert.equal(res.status, 400, JSON.stringify(quota));
        assert.match(res.body.faultstring, text);
      }
      assert.equal((await app.request('PUT', `${QUOTAS}/p-bad`, { loadbalancer: 1 })).status, 400);
    });

    test('the list shows stored values (null = default) and filters by project_id', async () => {
      await setQuota('p-list', { pool: 3 });
      const res = await app.request('GET', `${QUOTAS}?project_id=p-list`);
      assert.equal(res.status, 200);
      assert.ok(Array.isArray(res.body.quotas_links));
      assert.equal(res.body.quotas.length, 1);
      const [q] = res.body.quotas;
      assert.equal(q.project_id, 'p-list');
      assert.equal(q.pool, 3);
      assert.equal(q.loadbalancer, null);
      assert.equal(q.load_balancer, null);
      const all = await app.request('GET', QUOTAS);
      assert.ok(all.body.quotas.some((x: any) => x.project_id === 'p-put'));
      assert.equal((await app.request('GET', `${QUOTAS}?colour=red`)).status, 400);
    });

    test('DELETE answers 202 with no body and resets to defaults; 404 for a project without a record', async () => {
      await setQuota('p-del', { member: 4 });
      const res = await app.request('DELETE', `${QUOTAS}/p-del`);
      assert.equal(res.status, 202);
      assert.equal(res.body, null);
      assert.equal((await app.request('GET', `${QUOTAS}/p-del`)).body.quota.member, -1);
      const listed = await app.request('GET', `${QUOTAS}?project_id=p-del`);
      assert.equal(listed.body.quotas[0].member, null);
      const missing = await app.request('DELETE', `${QUOTAS}/p-none`);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.faultstring, 'Quotas p-none not found.');
    });

    test('load balancers: over quota is 403; PENDING_DELETE still counts; a finished delete releases it', async () => {
      await setQuota('p-lb', { loadbalancer: 1 });
      const first = await createLb('p-lb');
      assert.equal(first.status, 201);
      const lbPath = `/v2/lbaas/loadbalancers/${first.body.loadbalancer.id}`;
      await app.waitFor(lbPath, 'loadbalancer');
      const second = await createLb('p-lb');
      assert.equal(second.status, 403);
      assert.equal(second.body.faultstring, 'Quota has been met for resources: Load Balancer');
      await app.setWorker(false);
      try {
        assert.equal((await app.request('DELETE', lbPath, undefined, as('p-lb'))).status, 204);
        assert.equal((await createLb('p-lb')).status, 403, 'a PENDING_DELETE load balancer still counts');
      } finally {
        await app.setWorker(true);
      }
      await app.waitFor(lbPath, 'loadbalancer', ['DELETED']);
      assert.equal((await createLb('p-lb')).status, 201);
      // A record was created for the project the first time it created something.
      assert.equal((await app.request('GET', `${QUOTAS}?project_id=p-lb`)).body.quotas.length, 1);
    });

    test('a project that only created objects gets a quota record (all null)', async () => {
      assert.equal((await createLb('p-auto')).status, 201);
      const listed = await app.request('GET', `${QUOTAS}?project_id=p-auto`);
      assert.equal(listed.body.quotas.length, 1);
      assert.equal(listed.body.quotas[0].loadbalancer, null);
    });

    test('concurrent creates cannot both take the last slot', async () => {
      await setQuota('p-race', { loadbalancer: 1 });
      const results = await Promise.all([createLb('p-race'), createLb('p-race'), createLb('p-race')]);
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 403, 403]);
    });

    test('listeners, pools, health monitors and members are counted per project', async () => {
      const lb = await createActiveLoadBalancer(app, { project_id: 'p-kids' });
      const settle = () => app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
      await setQuota('p-kids', { listener: 1, pool: 1, healthmonitor: 0, member: 2 });
      const listener = (port: number) => app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: port } }, as('p-kids'));
      assert.equal((await listener(80)).status, 201);
      await settle();
      const over = await listener(81);
      assert.equal(over.status, 403);
      assert.equal(over.body.faultstring, 'Quota has been met for resources: Listener');

      const pool = () => app.request('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }, as('p-kids'));
      const created = await pool();
      assert.equal(created.status, 201);
      await settle();
      assert.equal((await pool()).body.faultstring, 'Quota has been met for resources: Pool');

      const poolId = created.body.pool.id;
      const hm = await app.request('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: poolId, type: 'TCP', delay: 5, timeout: 3, max_retries: 2 } }, as('p-kids'));
      assert.equal(hm.status, 403);
      assert.equal(hm.body.faultstring, 'Quota has been met for resources: Health Monitor');

      const members = `/v2/lbaas/pools/${poolId}/members`;
      assert.equal((await app.request('POST', members, { member: { address: '10.0.0.1', protocol_port: 80 } }, as('p-kids'))).status, 201);
      await settle();
      // Batch: the end state (3 members) would pass the limit of 2.
      const batch = (addresses: string[]) =>
        app.request('PUT', members, { members: addresses.map((address) => ({ address, protocol_port: 80 })) }, as('p-kids'));
      const tooMany = await batch(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
      assert.equal(tooMany.status, 403);
      assert.equal(tooMany.body.faultstring, 'Quota has been met for resources: Member');
      // Replacing one member by two others ends at 2: net additions are what count.
      assert.equal((await batch(['10.0.0.2', '10.0.0.3'])).status, 202);
      await settle();
      const single = await app.request('POST', members, { member: { address: '10.0.0.9', protocol_port: 80 } }, as('p-kids'));
      assert.equal(single.status, 403);
      assert.equal(single.body.faultstring, 'Quota has been met for resources: Member');
    });
    test('L7 policies and rules are counted per project', async () => {
      const lb = await createActiveLoadBalancer(app, { project_id: 'p-l7' });
      const settle = () => app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
      const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } }, as('p-l7'));
      assert.equal(listener.status, 201);
      await settle();
      await setQuota('p-l7', { l7policy: 1, l7rule: 1 });
      const policy = () =>
        app.request('POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: listener.body.listener.id, action: 'REJECT' } }, as('p-l7'));
      const created = await policy();
      assert.equal(created.status, 201, JSON.stringify(created.body));
      await settle();
      const over = await policy();
      assert.equal(over.status, 403);
      assert.equal(over.body.faultstring, 'Quota has been met for resources: L7 Policy');

      const rules = `/v2/lbaas/l7policies/${created.body.l7policy.id}/rules`;
      const rule = () => app.request('POST', rules, { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/x' } }, as('p-l7'));
      assert.equal((await rule()).status, 201);
      await settle();
      const overRule = await rule();
      assert.equal(overRule.status, 403);
      assert.equal(overRule.body.faultstring, 'Quota has been met for resources: L7 Rule');
    });
    test('a cascade delete releases the quota of the children once it completes', async () => {
      await setQuota('p-cascade', { listener: 1 });
      const listener = (lbId: string) =>
        app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'TCP', protocol_port: 80 } }, as('p-cascade'));
      const first = await createActiveLoadBalancer(app, { project_id: 'p-cascade' });
      assert.equal((await listener(first.id)).status, 201);
      const lbPath = `/v2/lbaas/loadbalancers/${first.id}`;
      await app.waitFor(lbPath, 'loadbalancer');
      const second = await createActiveLoadBalancer(app, { project_id: 'p-cascade' });
      assert.equal((await listener(second.id)).status, 403);
      assert.equal((await app.request('DELETE', `${lbPath}?cascade=true`, undefined, as('p-cascade'))).status, 204);
      await app.waitFor(lbPath, 'loadbalancer', ['DELETED']);
      assert.equal((await listener(second.id)).status, 201);
    });
  });

  describe(`quota defaults from configuration (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend, { config: { quotaDefaults: { ...UNLIMITED_DEFAULTS, loadbalancer: 0 } } });
    });
    after(async () => app?.close());

    test('the configured default applies to projects without their own value, and a project value overrides it', async () => {
      assert.equal((await app.request('GET', `${QUOTAS}/any/default`)).body.quota.loadbalancer, 0);
      const refused = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
      assert.equal(refused.status, 403);
      await app.request('PUT', `${QUOTAS}/project-a`, { quota: { loadbalancer: 1 } });
      assert.equal((await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } })).status, 201);
    });
  });
}
