// L7 policy contract on both back ends: create/update/delete through the worker with the LB
// and listener locks, Octavia's faults, action normalisation, dense positions, what a policy
// means for its listener and redirect pool (references, in-use 409, status tree), listener and
// cascade deletes taking policies with them, the data-plane graph, and list filters, sorting,
// pagination, tags and field selection.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { createActiveLoadBalancer, startTestApp, type TestApp } from '../helpers/app.ts';
import { loadLbGraph } from '../../src/amphora/graph-loader.ts';

const MISSING = '00000000-0000-4000-8000-0000000000a7';
const POLICIES = '/v2/lbaas/l7policies';

for (const backend of BACKENDS) {
  describe(`L7 policies (${backend})`, () => {
    let app: TestApp;
    let lb: any;
    let port = 7000;
    before(async () => {
      app = await startTestApp(backend);
      lb = await createActiveLoadBalancer(app);
    });
    after(async () => app?.close());

    const settle = () => app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
    const lbStatus = async () => (await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer.provisioning_status;
    const getListener = async (id: string) => (await app.request('GET', `/v2/lbaas/listeners/${id}`)).body.listener;
    const getPolicy = async (id: string) => (await app.request('GET', `${POLICIES}/${id}`)).body.l7policy;

    async function newListener(protocol = 'HTTP', onLb = lb): Promise<any> {
      const res = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: onLb.id, protocol, protocol_port: port++ } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await app.waitFor(`/v2/lbaas/loadbalancers/${onLb.id}`, 'loadbalancer');
      return res.body.listener;
    }

    async function newPool(protocol = 'HTTP', onLb = lb): Promise<any> {
      const res = await app.request('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: onLb.id, protocol, lb_algorithm: 'ROUND_ROBIN' } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await app.waitFor(`/v2/lbaas/loadbalancers/${onLb.id}`, 'loadbalancer');
      return res.body.pool;
    }

    async function createPolicy(policy: Record<string, unknown>): Promise<any> {
      const res = await app.request('POST', POLICIES, { l7policy: { action: 'REJECT', ...policy } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await settle();
      return res.body.l7policy;
    }

    async function positions(listenerId: string): Promise<[string, number][]> {
      const res = await app.request('GET', `${POLICIES}?listener_id=${listenerId}&sort=position`);
      return res.body.l7policies.map((p: any) => [p.name, p.position]);
    }

    test('create is 201 PENDING_CREATE/OFFLINE, locks LB and listener, and settles ACTIVE/ONLINE', async () => {
      const listener = await newListener();
      await app.setWorker(false);
      let policy: any;
      try {
        const res = await app.request('POST', POLICIES, {
          l7policy: { listener_id: listener.id, action: 'REJECT', name: 'deny', description: 'd', tags: ['t'], project_id: 'ignored' },
        });
        assert.equal(res.status, 201);
        policy = res.body.l7policy;
        assert.deepEqual(Object.keys(policy).sort(), [
          'action', 'admin_state_up', 'created_at', 'description', 'id', 'listener_id', 'name', 'operating_status', 'position', 'project_id',
          'provisioning_status', 'redirect_http_code', 'redirect_pool_id', 'redirect_prefix', 'redirect_url', 'rules', 'tags', 'tenant_id', 'updated_at',
        ]);
        assert.equal(policy.provisioning_status, 'PENDING_CREATE');
        assert.equal(policy.operating_status, 'OFFLINE');
        assert.equal(policy.project_id, 'project-a', 'a child inherits the LB project');
        assert.equal(policy.tenant_id, 'project-a');
        assert.equal(policy.position, 1);
        assert.deepEqual(policy.rules, []);
        assert.equal(policy.redirect_http_code, null);
        assert.equal(policy.admin_state_up, true);
        assert.equal(await lbStatus(), 'PENDING_UPDATE');
        assert.equal((await getListener(listener.id)).provisioning_status, 'PENDING_UPDATE');
        const blocked = await app.request('POST', POLICIES, { l7policy: { listener_id: listener.id, action: 'REJECT' } });
        assert.equal(blocked.status, 409);
        assert.equal(blocked.body.faultstring, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
        const blockedPut = await app.request('PUT', `${POLICIES}/${policy.id}`, { l7policy: { name: 'x' } });
        assert.equal(blockedPut.status, 409);
      } finally {
        await app.setWorker(true);
      }
      await settle();
      const active = await app.waitFor(`${POLICIES}/${policy.id}`, 'l7policy');
      assert.equal(active.provisioning_status, 'ACTIVE');
      assert.equal(active.operating_status, 'ONLINE');
      assert.equal(active.name, 'deny', 'the refused update was not written');
      const l = await getListener(listener.id);
      assert.equal(l.provisioning_status, 'ACTIVE');
      assert.deepEqual(l.l7policies, [{ id: policy.id }]);
      assert.deepEqual((await app.request('GET', `${POLICIES}?listener_id=${listener.id}`)).body.l7policies.map((p: any) => p.id), [policy.id], 'one policy');

      const down = await app.request('PUT', `${POLICIES}/${policy.id}`, { l7policy: { admin_state_up: null } });
      assert.equal(down.body.l7policy.admin_state_up, false);
      await settle();
      assert.equal((await getPolicy(policy.id)).operating_status, 'OFFLINE', 'an admin-down policy settles OFFLINE');
    });

    test('faults: 404 listener and pool, 400 PROMETHEUS, protocol mismatch, arguments, schema; nothing written', async () => {
      const listener = await newListener();
      const prometheus = await newListener('PROMETHEUS');
      const tcpPool = await newPool('TCP');
      const otherLb = await createActiveLoadBalancer(app);
      const foreignPool = await newPool('HTTP', otherLb);
      const cases: [unknown, number, string | RegExp][] = [
        [{ l7policy: { listener_id: MISSING, action: 'REJECT' } }, 404, `Listener ${MISSING} not found.`],
        [{ l7policy: { listener_id: prometheus.id, action: 'REJECT' } }, 400, 'Protocol PROMETHEUS listeners cannot have child objects.'],
        [{ l7policy: { listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: MISSING } }, 404, `Pool ${MISSING} not found.`],
        [{ l7policy: { listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: foreignPool.id } }, 404, `Pool ${foreignPool.id} not found.`],
        [
          { l7policy: { listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: tcpPool.id } },
          400,
          "Validation failure: The pool protocol 'TCP' is invalid while the listener protocol is 'HTTP'.",
        ],
        [{ l7policy: { listener_id: listener.id, action: 'REDIRECT_TO_URL' } }, 400, 'Invalid L7 Policy arguments: redirect_url must not be None'],
        [{ l7policy: { listener_id: listener.id, action: 'REDIRECT_TO_POOL' } }, 400, 'Invalid L7 Policy arguments: redirect_pool_id must not be None'],
        [{ l7policy: { listener_id: listener.id, action: 'REDIRECT_PREFIX' } }, 400, 'Invalid L7 Policy arguments: redirect_prefix must not be None'],
        [
          { l7policy: { listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: tcpPool.id, redirect_url: 'http://example.com' } },
          400,
          'Invalid L7 Policy arguments: Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time',
        ],
        [{ l7policy: { listener_id: listener.id, action: 'REDIRECT_TO_URL', redirect_url: 'not a url' } }, 400, "Invalid input for field/attribute redirect_url. Value: 'not a url'. Not a valid URL: not a url"],
        [{ l7policy: { listener_id: listener.id, action: 'FORWARD' } }, 400, /^Invalid input for field\/attribute action\. Value: 'FORWARD'\. Value should be one of: REJECT, /],
        [{ l7policy: { listener_id: listener.id } }, 400, "Invalid input for field/attribute action. Value: 'None'. Mandatory field missing."],
        [{ l7policy: { action: 'REJECT' } }, 400, "Invalid input for field/attribute listener_id. Value: 'None'. Mandatory field missing."],
        [{ l7policy: { listener_id: listener.id, action: 'REJECT', position: 0 } }, 400, /position\. Value: '0'\. Value should be greater or equal to 1/],
        [{ l7policy: { listener_id: listener.id, action: 'REDIRECT_TO_URL', redirect_url: 'http://e.com', redirect_http_code: 305 } }, 400, /redirect_http_code\. Value: '305'\. Value should be one of: 301, 302, 303, 307, 308/],
        [{ l7policy: { listener_id: listener.id, action: 'REJECT', rules: [] } }, 400, 'Unknown attribute for argument l7policy: rules'],
        [{ l7policy: { listener_id: listener.id, action: 'REJECT', id: MISSING } }, 400, 'Unknown attribute for argument l7policy: id'],
      ];
      for (const [body, status, message] of cases) {
        const res = await app.request('POST', POLICIES, body);
        assert.equal(res.status, status, JSON.stringify(body));
        if (typeof message === 'string') assert.equal(res.body.faultstring, message);
        else assert.match(res.body.faultstring, message);
        assert.equal(res.body.faultcode, 'Client');
      }
      assert.equal(await lbStatus(), 'ACTIVE');
      assert.deepEqual((await app.request('GET', `${POLICIES}?listener_id=${listener.id}`)).body.l7policies, [], 'nothing written');

      const gone = await app.request('GET', `${POLICIES}/${MISSING}`);
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.body, { faultcode: 'Client', faultstring: `L7 Policy ${MISSING} not found.`, debuginfo: null });
      assert.equal((await app.request('PUT', `${POLICIES}/${MISSING}`, { l7policy: { name: 'x' } })).status, 404);
      assert.equal((await app.request('DELETE', `${POLICIES}/${MISSING}`)).status, 404);
      const immutable = await app.request('PUT', `${POLICIES}/${MISSING}`, { l7policy: { listener_id: listener.id } });
      assert.equal(immutable.status, 400);
      assert.equal(immutable.body.faultstring, 'Unknown attribute for argument l7policy: listener_id');
    });

    test('actions: arguments force their action, redirects default to 302, and updates follow the same rules', async () => {
      const listener = await newListener();
      const pool = await newPool();
      const url = await createPolicy({ listener_id: listener.id, action: 'REDIRECT_TO_URL', redirect_url: 'https://example.com/new' });
      assert.equal(url.redirect_http_code, 302);
      assert.equal(url.redirect_url, 'https://example.com/new');
      const forced = await createPolicy({ listener_id: listener.id, action: 'REJECT', redirect_prefix: 'https://example.org' });
      assert.equal(forced.action, 'REJECT');
      assert.equal(forced.redirect_prefix, null);
      const prefix = await createPolicy({ listener_id: listener.id, action: 'REDIRECT_PREFIX', redirect_prefix: 'https://example.org', redirect_http_code: 301 });
      assert.equal(prefix.redirect_http_code, 301);

      const toPool = await app.request('PUT', `${POLICIES}/${url.id}`, { l7policy: { redirect_pool_id: pool.id } });
      assert.equal(toPool.status, 200);
      assert.equal(toPool.body.l7policy.provisioning_status, 'PENDING_UPDATE');
      assert.equal(toPool.body.l7policy.action, 'REDIRECT_TO_POOL');
      assert.equal(toPool.body.l7policy.redirect_pool_id, pool.id);
      assert.equal(toPool.body.l7policy.redirect_url, null);
      assert.equal(toPool.body.l7policy.redirect_http_code, null);
      await settle();
      assert.deepEqual((await app.request('GET', `/v2/lbaas/pools/${pool.id}`)).body.pool.listeners, [{ id: listener.id }], 'a redirect makes the listener a user of the pool');

      const missingArg = await app.request('PUT', `${POLICIES}/${url.id}`, { l7policy: { action: 'REDIRECT_TO_URL' } });
      assert.equal(missingArg.status, 400);
      assert.equal(missingArg.body.faultstring, 'Invalid L7 Policy arguments: redirect_url must not be None');
      const back = await app.request('PUT', `${POLICIES}/${url.id}`, { l7policy: { redirect_url: 'http://example.net', redirect_http_code: 308 } });
      assert.equal(back.body.l7policy.action, 'REDIRECT_TO_URL');
      assert.equal(back.body.l7policy.redirect_pool_id, null);
      assert.equal(back.body.l7policy.redirect_http_code, 308);
      await settle();
      const renamed = await app.request('PUT', `${POLICIES}/${url.id}`, { l7policy: { name: null, description: 'x' } });
      assert.equal(renamed.body.l7policy.name, '');
      assert.equal(renamed.body.l7policy.redirect_http_code, 308, 'untouched arguments stay');
      await settle();
      const rejected = await app.request('PUT', `${POLICIES}/${url.id}`, { l7policy: { action: 'REJECT' } });
      assert.deepEqual(
        [rejected.body.l7policy.action, rejected.body.l7policy.redirect_url, rejected.body.l7policy.redirect_http_code],
        ['REJECT', null, null],
      );
      await settle();
      assert.deepEqual((await app.request('GET', `/v2/lbaas/pools/${pool.id}`)).body.pool.listeners, []);
    });

    test('positions stay dense 1..N: inserts shift, beyond N appends, moves and deletes renumber', async () => {
      const listener = await newListener();
      const a = await createPolicy({ listener_id: listener.id, name: 'a' });
      const b = await createPolicy({ listener_id: listener.id, name: 'b' });
      const c = await createPolicy({ listener_id: listener.id, name: 'c', position: 1 });
      assert.equal(c.position, 1);
      assert.deepEqual(await positions(listener.id), [['c', 1], ['a', 2], ['b', 3]]);
      const d = await createPolicy({ listener_id: listener.id, name: 'd', position: 2 });
      const e = await createPolicy({ listener_id: listener.id, name: 'e', position: 2_147_483_647 });
      assert.equal(e.position, 5, 'a position beyond the end appends');
      assert.deepEqual(await positions(listener.id), [['c', 1], ['d', 2], ['a', 3], ['b', 4], ['e', 5]]);
      assert.deepEqual((await getListener(listener.id)).l7policies, [c, d, a, b, e].map((p) => ({ id: p.id })), 'the listener lists them in order');

      const moved = await app.request('PUT', `${POLICIES}/${c.id}`, { l7policy: { position: 4 } });
      assert.equal(moved.body.l7policy.position, 4);
      await settle();
      assert.deepEqual(await positions(listener.id), [['d', 1], ['a', 2], ['b', 3], ['c', 4], ['e', 5]]);
      await app.request('PUT', `${POLICIES}/${e.id}`, { l7policy: { position: 1 } });
      await settle();
      await app.request('PUT', `${POLICIES}/${d.id}`, { l7policy: { position: 99 } });
      await settle();
      assert.deepEqual(await positions(listener.id), [['e', 1], ['a', 2], ['b', 3], ['c', 4], ['d', 5]]);

      await app.setWorker(false);
      try {
        assert.equal((await app.request('DELETE', `${POLICIES}/${a.id}`)).status, 204);
        const pending = await getPolicy(a.id);
        assert.equal(pending.provisioning_status, 'PENDING_DELETE');
        assert.equal((await getListener(listener.id)).provisioning_status, 'PENDING_UPDATE');
        assert.equal(await lbStatus(), 'PENDING_UPDATE');
      } finally {
        await app.setWorker(true);
      }
      await settle();
      assert.equal((await app.request('GET', `${POLICIES}/${a.id}`)).status, 404, 'a deleted policy is gone');
      assert.deepEqual(await positions(listener.id), [['e', 1], ['b', 2], ['c', 3], ['d', 4]], 'the gap is closed');
      assert.equal((await getListener(listener.id)).provisioning_status, 'ACTIVE');
    });

    test('a redirect pool is in use (409 on delete), listed as the listener\'s in the status tree, and in the data-plane graph', async () => {
      const listener = await newListener();
      const pool = await newPool();
      const policy = await createPolicy({ listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: pool.id, name: 'api' });
      const rule = await app.request('POST', `${POLICIES}/${policy.id}/rules`, { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' } });
      assert.equal(rule.status, 201);
      await settle();
      const idle = await createPolicy({ listener_id: listener.id, action: 'REJECT', name: 'no rules' });

      const inUse = await app.request('DELETE', `/v2/lbaas/pools/${pool.id}`);
      assert.equal(inUse.status, 409);
      assert.equal(inUse.body.faultstring, `Pool ${pool.id} is in use by L7 policy ${policy.id}`);
      assert.equal(await lbStatus(), 'ACTIVE');

      const tree = await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}/status`);
      const node = tree.body.statuses.loadbalancer.listeners.find((l: any) => l.id === listener.id);
      assert.deepEqual(node.pools.map((p: any) => p.id), [pool.id]);
      assert.ok(!('l7policies' in node), 'L7 objects are not part of the tree');

      // A pool change locks the listeners that reach it through a policy too.
      await app.setWorker(false);
      try {
        assert.equal((await app.request('PUT', `/v2/lbaas/pools/${pool.id}`, { pool: { name: 'p' } })).status, 200);
        assert.equal((await getListener(listener.id)).provisioning_status, 'PENDING_UPDATE');
      } finally {
        await app.setWorker(true);
      }
      await settle();

      const graph = await loadLbGraph(app.rt.database.db, lb.id);
      const served = graph.listeners.find((l) => l.id === listener.id)!;
      assert.deepEqual(
        served.l7policies.map((p) => [p.id, p.action, p.redirect_pool_id, p.position, p.rules.map((r) => [r.type, r.compare_type, r.value])]),
        [
          [policy.id, 'REDIRECT_TO_POOL', pool.id, 1, [['PATH', 'STARTS_WITH', '/api']]],
          [idle.id, 'REJECT', null, 2, []],
        ],
      );
      const without = await loadLbGraph(app.rt.database.db, lb.id, new Set([policy.id]));
      assert.deepEqual(without.listeners.find((l) => l.id === listener.id)!.l7policies.map((p) => p.id), [idle.id], 'a policy being deleted is not served');

      assert.equal((await app.request('DELETE', `${POLICIES}/${policy.id}`)).status, 204);
      await settle();
      assert.equal((await app.request('GET', `${POLICIES}/${policy.id}/rules/${rule.body.rule.id}`)).status, 404, 'its rules went with it');
      assert.equal((await app.request('DELETE', `/v2/lbaas/pools/${pool.id}`)).status, 204, 'no longer in use');
      await settle();
    });

    test('deleting a listener takes its policies and rules; a cascade LB delete takes everything', async () => {
      const listener = await newListener();
      const policy = await createPolicy({ listener_id: listener.id });
      const rule = await app.request('POST', `${POLICIES}/${policy.id}/rules`, { rule: { type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'a.example' } });
      assert.equal(rule.status, 201);
      await settle();
      assert.equal((await app.request('DELETE', `/v2/lbaas/listeners/${listener.id}`)).status, 204);
      await settle();
      assert.equal((await app.request('GET', `${POLICIES}/${policy.id}`)).status, 404);
      const rows = await app.rt.database.db.selectFrom('l7rule').select('id').where('id', '=', rule.body.rule.id).execute();
      assert.deepEqual(rows, []);

      const other = await createActiveLoadBalancer(app);
      const l2 = await newListener('HTTP', other);
      const pool = await newPool('HTTP', other);
      const res = await app.request('POST', POLICIES, { l7policy: { listener_id: l2.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: pool.id } });
      assert.equal(res.status, 201);
      await app.waitFor(`/v2/lbaas/loadbalancers/${other.id}`, 'loadbalancer');
      const r2 = await app.request('POST', `${POLICIES}/${res.body.l7policy.id}/rules`, { rule: { type: 'PATH', compare_type: 'REGEX', value: '^/x' } });
      assert.equal(r2.status, 201);
      await app.waitFor(`/v2/lbaas/loadbalancers/${other.id}`, 'loadbalancer');
      assert.equal((await app.request('DELETE', `/v2/lbaas/loadbalancers/${other.id}?cascade=true`)).status, 204);
      await app.waitFor(`/v2/lbaas/loadbalancers/${other.id}`, 'loadbalancer', ['DELETED']);
      const left = await app.rt.database.db.selectFrom('l7policy').select('id').where('id', '=', res.body.l7policy.id).execute();
      assert.deepEqual(left, [], 'the cascade removed the policy');
    });

    test('list: filters, sorting, pagination, tags and field selection', async () => {
      const listener = await newListener();
      const made = [
        await createPolicy({ listener_id: listener.id, name: 'p1', tags: ['red'] }),
        await createPolicy({ listener_id: listener.id, name: 'p2', action: 'REDIRECT_TO_URL', redirect_url: 'http://example.com', tags: ['red', 'blue'] }),
        await createPolicy({ listener_id: listener.id, name: 'p3', action: 'REDIRECT_PREFIX', redirect_prefix: 'http://example.com', redirect_http_code: 303 }),
      ];
      const list = async (q: string) => (await app.request('GET', `${POLICIES}?listener_id=${listener.id}&${q}`)).body;
      assert.deepEqual((await list('action=REDIRECT_TO_URL')).l7policies.map((p: any) => p.name), ['p2']);
      assert.deepEqual((await list('redirect_http_code=303')).l7policies.map((p: any) => p.name), ['p3']);
      assert.deepEqual((await list('position=1')).l7policies.map((p: any) => p.name), ['p1']);
      assert.deepEqual((await list('sort=position:desc')).l7policies.map((p: any) => p.name), ['p3', 'p2', 'p1']);
      assert.deepEqual((await list('tags=red')).l7policies.map((p: any) => p.name), ['p1', 'p2']);
      assert.deepEqual((await list('not-tags-any=blue&sort=name:desc')).l7policies.map((p: any) => p.name), ['p3', 'p1']);
      const page = await list('sort=position&limit=2');
      assert.deepEqual(page.l7policies.map((p: any) => p.name), ['p1', 'p2']);
      assert.equal(page.l7policies_links[0].rel, 'next');
      const next = await list(`sort=position&limit=2&marker=${made[1].id}`);
      assert.deepEqual(next.l7policies.map((p: any) => p.name), ['p3']);
      assert.deepEqual((await list('fields=id&fields=position&sort=position')).l7policies, made.map((p, i) => ({ id: p.id, position: i + 1 })));
      const shown = await app.request('GET', `${POLICIES}/${made[2].id}?fields=redirect_prefix&fields=rules`);
      assert.deepEqual(shown.body, { l7policy: { redirect_prefix: 'http://example.com', rules: [] } });
      const bad = await app.request('GET', `${POLICIES}?bogus=1`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.faultstring, 'One or more arguments are either duplicate or invalid');
      assert.equal((await app.request('GET', `${POLICIES}?sort=rules`)).status, 400);
    });
  });
}
