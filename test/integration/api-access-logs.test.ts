// GET /v2/fulcrum/loadbalancers/{id}/logs without a data plane to read from: tenants see their
// own load balancers' logs under the read policy (another project gets what a read gets), and
// load balancers with no agent to ask (the noop provider, the noop compute driver) answer an
// empty list rather than a fault.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';
import { createApiKey } from '../../src/auth/apikey-store.ts';

describe('access-log policy: the same as reading the load balancer', () => {
  let app: TestApp;
  const keys: Record<string, string> = {};
  before(async () => {
    app = await startTestApp('pglite', { config: { authStrategy: 'apikey' } });
    const key = async (projectId: string, roles: string[]) => (await createApiKey(app.rt.database.db, { projectId, roles, name: `${projectId}-${roles.join('+')}` })).key;
    keys.memberA = await key('project-a', ['load-balancer_member']);
    keys.observerA = await key('project-a', ['load-balancer_observer']);
    keys.memberB = await key('project-b', ['load-balancer_member']);
    keys.plainB = await key('project-b', ['member']);
    keys.admin = await key('project-admin', ['admin']);
  });
  after(async () => app?.close());

  const as = (who: string) => (method: string, path: string, body?: unknown) => app.request(method, path, body, { 'x-auth-token': keys[who] });

  test("the owner's readers get the (empty) log; other projects get what reading the load balancer gets", async () => {
    const created = await as('memberA')('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'a', vip_subnet_id: SUBNET } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.loadbalancer.id;
    await app.waitFor(`/v2/lbaas/loadbalancers/${id}`, 'loadbalancer', ['ACTIVE']).catch(() => {});
    for (const who of ['memberA', 'observerA', 'admin']) {
      const res = await as(who)('GET', `/v2/fulcrum/loadbalancers/${id}/logs`);
      assert.equal(res.status, 200, `${who}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body, { logs: [] });
    }
    for (const who of ['memberB', 'plainB']) {
      const read = await as(who)('GET', `/v2/lbaas/loadbalancers/${id}`);
      const logs = await as(who)('GET', `/v2/fulcrum/loadbalancers/${id}/logs`);
      assert.ok([403, 404].includes(logs.status), `${who}: ${logs.status}`);
      assert.equal(logs.status, read.status, `${who}: logs answer as a read does`);
      assert.equal(typeof logs.body.faultstring, 'string');
      assert.ok(!('logs' in logs.body));
    }
    assert.equal((await app.request('GET', `/v2/fulcrum/loadbalancers/${id}/logs`)).status, 401);
  });
});

describe('access logs with the noop compute driver', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('pglite', { config: { defaultProvider: 'amphora', computeDriver: 'noop' } });
  });
  after(async () => app?.close());

  test('an amphora load balancer whose amphorae run nowhere has an empty log', async () => {
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'n', vip_subnet_id: SUBNET } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.loadbalancer.id;
    const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${id}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 30_000);
    assert.equal(lb.provisioning_status, 'ACTIVE');
    const amphorae = await app.rt.database.db.selectFrom('amphora').select('id').where('load_balancer_id', '=', id).execute();
    assert.ok(amphorae.length > 0, 'the amphora provider made amphora rows');
    const res = await app.request('GET', `/v2/fulcrum/loadbalancers/${id}/logs?limit=5`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { logs: [] });
  });
});
