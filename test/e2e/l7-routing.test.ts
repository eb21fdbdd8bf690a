// End to end on the process compute driver: L7 policies and rules made through the API route
// real HTTP requests through the VIP of a real HAProxy — to a pool by path, to a redirect, to a
// 403 — in position order, with inverted rules, and follow rule updates and deletes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestApp } from '../helpers/app.ts';
import { startProcessAmphoraApp, type AmphoraApp } from '../helpers/amphora-app.ts';
import { startBackend, type Backend } from '../helpers/data-plane.ts';

interface Answer {
  status: number;
  body: string;
  location: string | null;
}

describe('L7 routing through a real HAProxy (process compute driver)', () => {
  let env: AmphoraApp;
  let app: TestApp;
  let backends: Backend[] = [];

  before(async () => {
    env = await startProcessAmphoraApp('l7', [200, 250], 300);
    app = env.app;
    backends = await Promise.all([startBackend('default'), startBackend('api')]);
  });

  after(async () => {
    await env?.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  test('path routing to a pool, URL redirects, header rejects, invert, order and rule updates', async () => {
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'l7', vip_subnet_id: env.subnetId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const lbId = created.body.loadbalancer.id;
    const vip = created.body.loadbalancer.vip_address;
    const settle = async () => {
      const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 30_000);
      assert.equal(lb.provisioning_status, 'ACTIVE', JSON.stringify((await app.request('GET', `/v2/fulcrum/jobs?load_balancer_id=${lbId}`)).body));
    };
    const post = async (path: string, body: unknown) => {
      const res = await app.request('POST', path, body);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await settle();
      return res.body;
    };
    await settle();

    const listener = (await post('/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 8080 } })).listener;
    const defaultPool = (await post('/v2/lbaas/pools', { pool: { listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).pool;
    const apiPool = (await post('/v2/lbaas/pools', { pool: { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).pool;
    await post(`/v2/lbaas/pools/${defaultPool.id}/members`, { member: { address: '127.0.0.1', protocol_port: backends[0].port } });
    await post(`/v2/lbaas/pools/${apiPool.id}/members`, { member: { address: '127.0.0.1', protocol_port: backends[1].port } });

    const get = async (path: string, headers: Record<string, string> = {}): Promise<Answer> => {
      const res = await fetch(`http://${vip}:8080${path}`, { redirect: 'manual', signal: AbortSignal.timeout(2000), headers: { connection: 'close', ...headers } });
      return { status: res.status, body: await res.text(), location: res.headers.get('location') };
    };
    const route = async (path: string, headers: Record<string, string> = {}) => {
      const a = await get(path, headers);
      return a.status === 200 ? a.body : a.status;
    };

    assert.equal(await route('/api/users'), 'default', 'without policies everything goes to the default pool');

    const toApi = (await post('/v2/lbaas/l7policies', { l7policy: { listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: apiPool.id } })).l7policy;
    assert.equal(await route('/api/users'), 'default', 'a policy without rules never matches');
    const apiRule = (await post(`/v2/lbaas/l7policies/${toApi.id}/rules`, { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' } })).rule;
    assert.equal(await route('/api/users'), 'api');
    assert.equal(await route('/api'), 'api');
    assert.equal(await route('/index.html'), 'default');
    const tree = await app.request('GET', `/v2/lbaas/loadbalancers/${lbId}/status`);
    assert.deepEqual(tree.body.statuses.loadbalancer.listeners[0].pools.map((p: any) => p.id).sort(), [defaultPool.id, apiPool.id].sort());

    const redirect = (await post('/v2/lbaas/l7policies', {
      l7policy: { listener_id: listener.id, action: 'REDIRECT_TO_URL', redirect_url: 'https://www.example.com/moved', redirect_http_code: 301 },
    })).l7policy;
    await post(`/v2/lbaas/l7policies/${redirect.id}/rules`, { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/old' } });
    const moved = await get('/old');
    assert.equal(moved.status, 301);
    assert.equal(moved.location, 'https://www.example.com/moved');
    assert.equal(await route('/older'), 'default');

    // Position 1: checked before the redirect to the API pool.
    const block = (await post('/v2/lbaas/l7policies', { l7policy: { listener_id: listener.id, action: 'REJECT', position: 1 } })).l7policy;
    await post(`/v2/lbaas/l7policies/${block.id}/rules`, { rule: { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-Block', value: 'yes' } });
    assert.equal(await route('/api/users', { 'x-block': 'yes' }), 403, 'the first matching policy wins');
    assert.equal(await route('/index.html', { 'x-block': 'yes' }), 403);
    assert.equal(await route('/api/users', { 'x-block': 'no' }), 'api');
    assert.deepEqual((await app.request('GET', `/v2/lbaas/listeners/${listener.id}`)).body.listener.l7policies, [{ id: block.id }, { id: toApi.id }, { id: redirect.id }]);

    // Inverted rule: /admin is refused unless the token header is there.
    const admin = (await post('/v2/lbaas/l7policies', { l7policy: { listener_id: listener.id, action: 'REJECT' } })).l7policy;
    await post(`/v2/lbaas/l7policies/${admin.id}/rules`, { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/admin' } });
    await post(`/v2/lbaas/l7policies/${admin.id}/rules`, { rule: { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-Token', value: 'secret', invert: true } });
    assert.equal(await route('/admin/panel'), 403);
    assert.equal(await route('/admin/panel', { 'x-token': 'wrong' }), 403);
    assert.equal(await route('/admin/panel', { 'x-token': 'secret' }), 'default');

    // Updating a rule changes routing.
    const updated = await app.request('PUT', `/v2/lbaas/l7policies/${toApi.id}/rules/${apiRule.id}`, { rule: { compare_type: 'REGEX', value: '^/v[0-9]+/' } });
    assert.equal(updated.status, 200);
    await settle();
    assert.equal(await route('/api/users'), 'default');
    assert.equal(await route('/v2/users'), 'api');

    // An admin-down policy stops matching; deleting the block policy lets the header through.
    await app.request('PUT', `/v2/lbaas/l7policies/${toApi.id}`, { l7policy: { admin_state_up: false } });
    await settle();
    assert.equal(await route('/v2/users'), 'default');
    assert.equal((await app.request('DELETE', `/v2/lbaas/l7policies/${block.id}`)).status, 204);
    await settle();
    assert.equal(await route('/index.html', { 'x-block': 'yes' }), 'default');
    assert.deepEqual((await app.request('GET', `/v2/lbaas/listeners/${listener.id}`)).body.listener.l7policies, [{ id: toApi.id }, { id: redirect.id }, { id: admin.id }]);
    const statuses = (await app.request('GET', `/v2/lbaas/l7policies?listener_id=${listener.id}`)).body.l7policies.map((p: any) => p.provisioning_status);
    assert.deepEqual(statuses, ['ACTIVE', 'ACTIVE', 'ACTIVE']);

    // HAProxy applies L7 policies in HTTP frontends only: the amphora provider says so up front.
    const tcp = (await post('/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'TCP', protocol_port: 9090 } })).listener;
    const refused = await app.request('POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: tcp.id, action: 'REJECT' } });
    assert.equal(refused.status, 501);
    assert.equal(refused.body.faultstring, "Provider 'amphora' does not support a requested option: L7 policies on TCP protocol listeners");

    assert.equal((await app.request('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`)).status, 204);
    await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['DELETED'], 30_000);
    assert.deepEqual(await app.rt.database.db.selectFrom('l7policy').select('id').execute(), [], 'the cascade took the policies');
  });
});
