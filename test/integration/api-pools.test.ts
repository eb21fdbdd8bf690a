// Pool contract on both back ends: creation on an LB or as a listener's default, session
// persistence rules, protocol compatibility, updates that lock the listeners, delete.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { createActiveLoadBalancer, startTestApp, type TestApp } from '../helpers/app.ts';

for (const backend of BACKENDS) {
  describe(`pools (${backend})`, () => {
    let app: TestApp;
    let lb: any;
    before(async () => {
      app = await startTestApp(backend);
      lb = await createActiveLoadBalancer(app);
    });
    after(async () => app?.close());

    const settle = () => app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
    const createPool = (pool: Record<string, unknown>) =>
      app.request('POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', ...pool } });

    test('a pool on the LB reaches ACTIVE; no healthmonitor_id key without a monitor', async () => {
      const res = await createPool({ loadbalancer_id: lb.id, name: 'p', tags: ['a'] });
      assert.equal(res.status, 201);
      const p = res.body.pool;
      assert.equal(p.provisioning_status, 'PENDING_CREATE');
      assert.equal(p.operating_status, 'OFFLINE');
      assert.deepEqual(p.loadbalancers, [{ id: lb.id }]);
      assert.deepEqual(p.listeners, []);
      assert.deepEqual(p.members, []);
      assert.equal(p.session_persistence, null);
      assert.equal(p.tls_enabled, false);
      assert.ok(!('healthmonitor_id' in p));
      await settle();
      const got = await app.waitFor(`/v2/lbaas/pools/${p.id}`, 'pool');
      assert.equal(got.provisioning_status, 'ACTIVE');
    });

    test('a pool created for a listener becomes its default pool and locks the listener meanwhile', async () => {
      const listener = await app.request('POST', '/v2/lbaas/listeners', {
        listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 },
      });
      await settle();
      const res = await createPool({ listener_id: listener.body.listener.id });
      assert.equal(res.status, 201);
      assert.deepEqual(res.body.pool.listeners, [{ id: listener.body.listener.id }]);
      const l = await app.request('GET', `/v2/lbaas/listeners/${listener.body.listener.id}`);
      assert.equal(l.body.listener.default_pool_id, res.body.pool.id);
      assert.ok(['PENDING_UPDATE', 'ACTIVE'].includes(l.body.listener.provisioning_status));
      await settle();
      const settled = await app.waitFor(`/v2/lbaas/listeners/${listener.body.listener.id}`, 'listener');
      assert.equal(settled.provisioning_status, 'ACTIVE');
      const second = await createPool({ listener_id: listener.body.listener.id });
      assert.equal(second.status, 409);
      assert.equal(second.body.faultstring, 'This listener already has a default pool');
      const tree = await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}/status`);
      const node = tree.body.statuses.loadbalancer.listeners.find((x: any) => x.id === listener.body.listener.id);
      assert.deepEqual(node.pools.map((p: any) => p.id), [res.body.pool.id]);
    });

    test('session persistence rules', async () => {
      const ok = await createPool({ loadbalancer_id: lb.id, session_persistence: { type: 'APP_COOKIE', cookie_name: 'sess' } });
      assert.equal(ok.status, 201);
      assert.deepEqual(ok.body.pool.session_persistence, {
        type: 'APP_COOKIE',
        cookie_name: 'sess',
        persistence_timeout: null,
        persistence_granularity: null,
      });
      await settle();
      const cases: [Record<string, unknown>, string][] = [
        [{ type: 'HTTP_COOKIE', cookie_name: 'x' }, 'Validation failure: Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".'],
        [{ type: 'APP_COOKIE' }, 'Validation failure: Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.'],
        [{ type: 'SOURCE_IP', persistence_timeout: 10 }, 'Validation failure: persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.'],
      ];
      for (const [sp, message] of cases) {
        const res = await createPool({ loadbalancer_id: lb.id, session_persistence: sp });
        assert.equal(res.status, 400, JSON.stringify(sp));
        assert.equal(res.body.faultstring, message);
      }
      const badCookie = await createPool({ loadbalancer_id: lb.id, session_persistence: { type: 'APP_COOKIE', cookie_name: 'a b;c' } });
      assert.equal(badCookie.status, 400);
      const udp = await createPool({ loadbalancer_id: lb.id, protocol: 'UDP', session_persistence: { type: 'SOURCE_IP', persistence_timeout: 60, persistence_granularity: '255.255.255.0' } });
      assert.equal(udp.status, 201);
      await settle();
      const put = await app.request('PUT', `/v2/lbaas/pools/${ok.body.pool.id}`, { pool: { session_persistence: { cookie_name: 'other' } } });
      assert.equal(put.status, 200, 'type may be left out on update');
      assert.equal(put.body.pool.session_persistence.type, 'APP_COOKIE');
      assert.equal(put.body.pool.session_persistence.cookie_name, 'other');
      await settle();
      const clear = await app.request('PUT', `/v2/lbaas/pools/${ok.body.pool.id}`, { pool: { session_persistence: null } });
      assert.equal(clear.body.pool.session_persistence, null);
      await settle();
    });

    test('bad input and missing references', async () => {
      const none = await createPool({});
      assert.equal(none.status, 400);
      assert.equal(none.body.faultstring, 'Validation failure: Must provide at least one of: loadbalancer_id, listener_id');
      const algo = await createPool({ loadbalancer_id: lb.id, lb_algorithm: 'RANDOM' });
      assert.equal(algo.status, 400);
      assert.match(algo.body.faultstring, /lb_algorithm\. Value: 'RANDOM'\. Value should be one of: ROUND_ROBIN/);
      const listener404 = await createPool({ listener_id: '00000000-0000-4000-8000-00000000000a' });
      assert.equal(listener404.status, 404);
      assert.equal(listener404.body.faultstring, 'Listener 00000000-0000-4000-8000-00000000000a not found.');
      const immutable = await app.request('PUT', `/v2/lbaas/pools/00000000-0000-4000-8000-00000000000b`, { pool: { name: 'x' } });
      assert.equal(immutable.status, 404);
      const tcpListener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'UDP', protocol_port: 53 } });
      await settle();
      const mismatch = await createPool({ listener_id: tcpListener.body.listener.id, protocol: 'HTTP' });
      assert.equal(mismatch.status, 400);
      assert.equal(mismatch.body.faultstring, "Validation failure: The pool protocol 'HTTP' is invalid while the listener protocol is 'UDP'.");
      const protoPut = await app.request('PUT', `/v2/lbaas/pools/00000000-0000-4000-8000-00000000000b`, { pool: { protocol: 'TCP' } });
      assert.equal(protoPut.status, 400, 'protocol is immutable');
    });

    test('update locks the pool and the listeners using it; delete detaches the default pool', async () => {
      const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 8081 } });
      await settle();
      const pool = await createPool({ listener_id: listener.body.listener.id, name: 'before' });
      await settle();
      await app.setWorker(false);
      const put = await app.request('PUT', `/v2/lbaas/pools/${pool.body.pool.id}`, { pool: { name: 'after', lb_algorithm: 'LEAST_CONNECTIONS' } });
      assert.equal(put.status, 200);
      assert.equal(put.body.pool.provisioning_status, 'PENDING_UPDATE');
      assert.equal(put.body.pool.lb_algorithm, 'LEAST_CONNECTIONS');
      const l1 = await app.request('GET', `/v2/lbaas/listeners/${listener.body.listener.id}`);
      assert.equal(l1.body.listener.provisioning_status, 'PENDING_UPDATE');
      const lb1 = await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}`);
      assert.equal(lb1.body.loadbalancer.provisioning_status, 'PENDING_UPDATE');
      const blocked = await app.request('DELETE', `/v2/lbaas/pools/${pool.body.pool.id}`);
      assert.equal(blocked.status, 409);
      await app.setWorker(true);
      await settle();
      const l2 = await app.waitFor(`/v2/lbaas/listeners/${listener.body.listener.id}`, 'listener');
      assert.equal(l2.provisioning_status, 'ACTIVE');
      assert.equal((await app.request('GET', `/v2/lbaas/pools/${pool.body.pool.id}`)).body.pool.provisioning_status, 'ACTIVE');
      const del = await app.request('DELETE', `/v2/lbaas/pools/${pool.body.pool.id}`);
      assert.equal(del.status, 204);
      await settle();
      assert.equal((await app.request('GET', `/v2/lbaas/pools/${pool.body.pool.id}`)).status, 404);
      const l = await app.request('GET', `/v2/lbaas/listeners/${listener.body.listener.id}`);
      assert.equal(l.body.listener.default_pool_id, null);
      assert.equal(l.body.listener.provisioning_status, 'ACTIVE');
    });

    test('cascade delete of the LB removes its listeners and pools', async () => {
      const other = await createActiveLoadBalancer(app);
      const settleOther = () => app.waitFor(`/v2/lbaas/loadbalancers/${other.id}`, 'loadbalancer');
      const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: other.id, protocol: 'HTTP', protocol_port: 80 } });
      await settleOther();
      const pool = await createPool({ listener_id: listener.body.listener.id });
      await settleOther();
      const refused = await app.request('DELETE', `/v2/lbaas/loadbalancers/${other.id}`);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.faultstring, `Validation failure: Cannot delete Load Balancer ${other.id} - it has children`);
      const del = await app.request('DELETE', `/v2/lbaas/loadbalancers/${other.id}?cascade=true`);
      assert.equal(del.status, 204);
      await app.waitFor(`/v2/lbaas/loadbalancers/${other.id}`, 'loadbalancer', ['DELETED']);
      assert.equal((await app.request('GET', `/v2/lbaas/listeners/${listener.body.listener.id}`)).status, 404);
      assert.equal((await app.request('GET', `/v2/lbaas/pools/${pool.body.pool.id}`)).status, 404);
    });
  });
}
