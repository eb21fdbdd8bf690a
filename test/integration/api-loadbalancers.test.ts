// Load balancer contract: create → ACTIVE through the real flow engine, show, update, delete,
// status tree, stats, and the 4xx faults, on both database back ends.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { SUBNET, createActiveLoadBalancer, startTestApp, type TestApp } from '../helpers/app.ts';

for (const backend of BACKENDS) {
  describe(`load balancers (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend);
    });
    after(async () => app?.close());

    test('create answers 201 PENDING_CREATE, then the flow makes it ACTIVE', async () => {
      const res = await app.request('POST', '/v2/lbaas/loadbalancers', {
        loadbalancer: { name: 'web', vip_subnet_id: SUBNET, tags: ['t1'] },
      });
      assert.equal(res.status, 201);
      const lb = res.body.loadbalancer;
      assert.equal(lb.provisioning_status, 'PENDING_CREATE');
      assert.equal(lb.operating_status, 'OFFLINE');
      assert.equal(lb.project_id, 'project-a');
      assert.equal(lb.tenant_id, 'project-a');
      assert.equal(lb.updated_at, null);
      assert.equal(lb.provider, 'noop');
      assert.deepEqual(lb.tags, ['t1']);
      assert.ok(lb.vip_address);
      const active = await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
      assert.equal(active.provisioning_status, 'ACTIVE');
      assert.equal(active.operating_status, 'OFFLINE');
    });

    test('update is 200 with PENDING_UPDATE and settles ACTIVE; a second write meanwhile is 409', async () => {
      const lb = await createActiveLoadBalancer(app);
      const res = await app.request('PUT', `/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { name: 'renamed', admin_state_up: null } });
      assert.equal(res.status, 200);
      assert.equal(res.body.loadbalancer.provisioning_status, 'PENDING_UPDATE');
      assert.equal(res.body.loadbalancer.name, 'renamed');
      assert.equal(res.body.loadbalancer.admin_state_up, false);
      const again = await app.request('PUT', `/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { name: 'second' } });
      if (again.status !== 200) {
        assert.equal(again.status, 409);
        assert.match(again.body.faultstring, /^Invalid state PENDING_UPDATE of loadbalancer resource /);
      }
      const settled = await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
      assert.equal(settled.provisioning_status, 'ACTIVE');
      assert.notEqual(settled.updated_at, null);
    });

    test('delete is 204 and the load balancer then answers 404', async () => {
      const lb = await createActiveLoadBalancer(app);
      const res = await app.request('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`);
      assert.equal(res.status, 204);
      await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', ['DELETED']);
      const gone = await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}`);
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.body, { faultcode: 'Client', faultstring: `Load Balancer ${lb.id} not found.`, debuginfo: null });
      const list = await app.request('GET', `/v2/lbaas/loadbalancers?id=${lb.id}`);
      assert.deepEqual(list.body.loadbalancers, []);
    });

    test('bad input is a 400 fault that names the field', async () => {
      const cases: [unknown, RegExp][] = [
        [{ loadbalancer: { vip_subnet_id: 'nope' } }, /vip_subnet_id\. Value: 'nope'\. Value should be UUID format/],
        [{ loadbalancer: { vip_subnet_id: SUBNET, bogus: 1 } }, /Unknown attribute for argument loadbalancer: bogus/],
        [{ name: 'x' }, /Unknown attribute for argument body: name|Mandatory field missing/],
        [{ loadbalancer: { name: 'x' } }, /VIP must contain one of/],
        [{ loadbalancer: { vip_subnet_id: SUBNET, admin_state_up: 'yes' } }, /admin_state_up/],
        [{ loadbalancer: { vip_subnet_id: SUBNET, name: 'n'.repeat(256) } }, /maximum character requirement of 255/],
        [{ loadbalancer: { vip_subnet_id: SUBNET, vip_address: '300.1.1.1' } }, /IPv4 or IPv6/],
        [{ loadbalancer: { vip_subnet_id: SUBNET, provider: 'nosuch' } }, /Provider 'nosuch' is not enabled\./],
        ['{not json', /not in valid JSON format/],
      ];
      for (const [body, message] of cases) {
        const res = await app.request('POST', '/v2/lbaas/loadbalancers', body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.faultcode, 'Client');
        assert.match(res.body.faultstring, message);
        assert.equal(res.body.debuginfo, null);
      }
      const list = await app.request('GET', '/v2/lbaas/loadbalancers?name=x');
      assert.deepEqual(list.body.loadbalancers, [], 'nothing half-written');
    });

    test('an oversized body is 413, a wrong Accept 406, an unknown path 404, a wrong method 405', async () => {
      const big = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, description: 'x'.repeat(120_000) } });
      assert.equal(big.status, 413);
      const accept = await app.request('GET', '/v2/lbaas/loadbalancers', undefined, { accept: 'text/html' });
      assert.equal(accept.status, 406);
      assert.equal(accept.body.errors[0].status, 406);
      const unknown = await app.request('GET', '/v2/lbaas/nothing');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.faultcode, 'Client');
      const method = await app.request('PATCH', '/v2/lbaas/loadbalancers');
      assert.equal(method.status, 405);
    });

    test('status tree and stats', async () => {
      const lb = await createActiveLoadBalancer(app, { name: 'tree' });
      for (const suffix of ['status', 'statuses']) {
        const res = await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}/${suffix}`);
        assert.equal(res.status, 200);
        assert.deepEqual(res.body.statuses.loadbalancer, {
          id: lb.id,
          name: 'tree',
          operating_status: 'OFFLINE',
          provisioning_status: 'ACTIVE',
          listeners: [],
        });
      }
      const stats = await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}/stats`);
      assert.deepEqual(stats.body, { stats: { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0 } });
    });

    test('the .json suffix and the /v2.0 alias reach the same resource', async () => {
      const lb = await createActiveLoadBalancer(app);
      const a = await app.request('GET', `/v2.0/lbaas/loadbalancers/${lb.id}.json`);
      assert.equal(a.status, 200);
      assert.equal(a.body.loadbalancer.id, lb.id);
      assert.match(String(a.headers['x-openstack-request-id']), /^req-[0-9a-f-]{36}$/);
    });
  });
}
