// The failover drill's API (the drill itself runs in test/e2e/netns-active-standby.test.ts):
// administrators only under apikey, the amphora provider only (501), an ACTIVE load balancer
// only (409), one drill at a time (409), 404 for unknown load balancers and drills; under
// noauth a drill is queued and shown as PENDING until a worker runs it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';
import { createApiKey } from '../../src/auth/apikey-store.ts';

describe('failover drill API', () => {
  const apps: TestApp[] = [];
  after(async () => {
    for (const app of apps) await app.close();
  });

  describe('apikey', () => {
    let app: TestApp;
    const keys: Record<string, string> = {};
    let lbId: string;
    const as = (token: string) => (method: string, path: string, body?: unknown) => app.request(method, path, body, { 'x-auth-token': token });
    before(async () => {
      app = await startTestApp('pglite', { worker: false, config: { authStrategy: 'apikey' } });
      apps.push(app);
      keys.member = (await createApiKey(app.rt.database.db, { projectId: 'project-p', roles: ['load-balancer_member'], name: 'member' })).key;
      keys.admin = (await createApiKey(app.rt.database.db, { projectId: 'project-admin', roles: ['admin'], name: 'admin' })).key;
      const lb = await as(keys.member)('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
      assert.equal(lb.status, 201);
      lbId = lb.body.loadbalancer.id;
      await app.rt.database.db.updateTable('load_balancer').set({ provisioning_status: 'ACTIVE' }).where('id', '=', lbId).execute();
    });

    test('only administrators may drill, and only amphora load balancers', async () => {
      assert.equal((await as(keys.member)('POST', `/v2/fulcrum/loadbalancers/${lbId}/drill`)).status, 403, 'the owner is no administrator');
      const noop = await as(keys.admin)('POST', `/v2/fulcrum/loadbalancers/${lbId}/drill`);
      assert.equal(noop.status, 501, JSON.stringify(noop.body));
      assert.match(noop.body.faultstring, /only the amphora provider/);
      assert.equal((await as(keys.member)('GET', `/v2/fulcrum/loadbalancers/${lbId}/drills/1`)).status, 403);
    });
  });

  describe('noauth, amphora provider, no worker', () => {
    let app: TestApp;
    let lbId: string;
    before(async () => {
      app = await startTestApp('pglite', { worker: false, config: { defaultProvider: 'amphora' } });
      apps.push(app);
      const lb = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
      assert.equal(lb.status, 201);
      lbId = lb.body.loadbalancer.id;
    });

    test('a load balancer that is not ACTIVE is not drilled; unknown ones are 404', async () => {
      assert.equal((await app.request('POST', `/v2/fulcrum/loadbalancers/${lbId}/drill`)).status, 409, 'PENDING_CREATE');
      assert.equal((await app.request('POST', `/v2/fulcrum/loadbalancers/${crypto.randomUUID()}/drill`)).status, 404);
      assert.equal((await app.request('POST', '/v2/fulcrum/loadbalancers/not-a-uuid/drill')).status, 404);
    });

    test('a drill is queued, shown PENDING, and a second one is refused while it is', async () => {
      await app.rt.database.db.updateTable('load_balancer').set({ provisioning_status: 'ACTIVE' }).where('id', '=', lbId).execute();
      const started = await app.request('POST', `/v2/fulcrum/loadbalancers/${lbId}/drill`);
      assert.equal(started.status, 202, JSON.stringify(started.body));
      assert.equal(started.body.drill.status, 'PENDING');
      assert.equal(started.body.drill.loadbalancer_id, lbId);
      assert.equal(started.body.drill.outage_ms, null);
      const again = await app.request('POST', `/v2/fulcrum/loadbalancers/${lbId}/drill`);
      assert.equal(again.status, 409);
      assert.match(again.body.faultstring, /already in progress/);
      const shown = await app.request('GET', `/v2/fulcrum/loadbalancers/${lbId}/drills/${started.body.drill.id}`);
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body.drill, started.body.drill);
      assert.equal((await app.request('GET', `/v2/fulcrum/loadbalancers/${lbId}/drills/999999`)).status, 404);
      assert.equal((await app.request('GET', `/v2/fulcrum/loadbalancers/${lbId}/drills/x`)).status, 404);
      const other = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
      assert.equal((await app.request('GET', `/v2/fulcrum/loadbalancers/${other.body.loadbalancer.id}/drills/${started.body.drill.id}`)).status, 404, 'another load balancer\'s drill');
    });
  });
});
