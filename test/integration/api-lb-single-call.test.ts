// Fully-populated ("single-call") load balancer create on both back ends (docs/octavia-compatibility.md §5.2): the
// example request answers 201 with the full graph, one operation brings every object ACTIVE;
// every error text of docs/octavia-compatibility.md §5.2 and every failure deeper in the tree writes nothing at all; quota
// counts the whole tree; standalone POSTs refuse the nested keys with 400.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';
import { PermanentFailure, type FlowStep } from '../../src/flows/flow.ts';
import type { ProviderOperation } from '../../src/model/operation.ts';
import type { ProviderDriver } from '../../src/providers/driver.ts';

const LBS = '/v2/lbaas/loadbalancers';
const TABLES = ['load_balancer', 'listener', 'pool', 'member', 'health_monitor', 'l7policy', 'l7rule'] as const;

/** The example request of docs/octavia-compatibility.md §5.2. */
function exampleTree() {
  return {
    listeners: [
      {
        name: 'http',
        protocol: 'HTTP',
        protocol_port: 80,
        default_pool: {
          name: 'rr',
          protocol: 'HTTP',
          lb_algorithm: 'ROUND_ROBIN',
          healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 2, url_path: '/healthz' },
          members: [
            { address: '192.0.2.16', protocol_port: 80 },
            { address: '192.0.2.19', protocol_port: 80 },
          ],
        },
        l7policies: [
          {
            name: 'api',
            action: 'REDIRECT_TO_POOL',
            redirect_pool: { name: 'api-pool' },
            rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' }],
          },
        ],
      },
    ],
    pools: [
      { name: 'api-pool', protocol: 'HTTP', lb_algorithm: 'LEAST_CONNECTIONS', session_persistence: { type: 'APP_COOKIE', cookie_name: 'sess' } },
    ],
  };
}

/** A provider that refuses every operation, as a vendor back end might. */
class RefusingDriver implements ProviderDriver {
  readonly name = 'refusing';
  readonly description = 'refuses every operation';
  checkSupport(): void {}
  plan(): FlowStep<ProviderOperation>[] {
    return [
      {
        name: 'refusing:apply',
        run: async () => {
          throw new PermanentFailure('the appliance refused the load balancer');
        },
      },
    ];
  }
}

for (const backend of BACKENDS) {
  describe(`fully-populated create on a failing provider (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend, {
        config: { enabledProviders: ['noop', 'refusing'], defaultProvider: 'refusing' },
        drivers: () => [new RefusingDriver()],
      });
    });
    after(async () => app?.close());

    test('every object of the tree ends in ERROR with the load balancer', async () => {
      const res = await app.request('POST', LBS, { loadbalancer: { vip_subnet_id: SUBNET, ...exampleTree() } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const lb = res.body.loadbalancer;
      assert.equal((await app.waitFor(`${LBS}/${lb.id}`, 'loadbalancer')).provisioning_status, 'ERROR');
      const status = async (path: string, key: string) => (await app.request('GET', path)).body[key].provisioning_status;
      const [listener] = lb.listeners;
      const statuses = [await status(`/v2/lbaas/listeners/${listener.id}`, 'listener')];
      for (const pool of lb.pools) {
        statuses.push(await status(`/v2/lbaas/pools/${pool.id}`, 'pool'));
        for (const m of pool.members) statuses.push(await status(`/v2/lbaas/pools/${pool.id}/members/${m.id}`, 'member'));
        if (pool.healthmonitor) statuses.push(await status(`/v2/lbaas/healthmonitors/${pool.healthmonitor.id}`, 'healthmonitor'));
      }
      const [policy] = listener.l7policies;
      statuses.push(await status(`/v2/lbaas/l7policies/${policy.id}`, 'l7policy'));
      statuses.push(await status(`/v2/lbaas/l7policies/${policy.id}/rules/${policy.rules[0].id}`, 'rule'));
      assert.deepEqual(statuses, Array(8).fill('ERROR'));
    });
  });

  describe(`fully-populated load balancer create (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend);
    });
    after(async () => app?.close());

    const as = (project: string) => ({ 'x-project-id': project });
    const create = (tree: Record<string, unknown>, project = 'project-a') =>
      app.request('POST', LBS, { loadbalancer: { name: 'web', vip_subnet_id: SUBNET, ...tree } }, as(project));

    async function rowsOf(project: string): Promise<Record<string, number>> {
      const db = app.rt.database.db;
      const out: Record<string, number> = {};
      for (const table of TABLES) {
        out[table] = (await db.selectFrom(table).select('id').where('project_id', '=', project).execute()).length;
      }
      return out;
    }

    async function assertNothingWritten(project: string): Promise<void> {
      assert.deepEqual(await rowsOf(project), Object.fromEntries(TABLES.map((t) => [t, 0])), `no rows for ${project}`);
    }

    async function fails(project: string, tree: Record<string, unknown>, status: number, faultstring: string | RegExp): Promise<void> {
      const res = await create(tree, project);
      assert.equal(res.status, status, JSON.stringify(res.body));
      if (typeof faultstring === 'string') assert.equal(res.body.faultstring, faultstring);
      else assert.match(res.body.faultstring, faultstring);
      await assertNothingWritten(project);
    }

    test('the §5.2 example: 201 with the full graph, then every object ACTIVE from one operation', async () => {
      const res = await create(exampleTree(), 'p-example');
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const lb = res.body.loadbalancer;
      assert.equal(lb.provisioning_status, 'PENDING_CREATE');
      assert.equal(lb.operating_status, 'OFFLINE');
      assert.equal(lb.updated_at, null);

      assert.equal(lb.listeners.length, 1);
      const [listener] = lb.listeners;
      assert.equal(listener.name, 'http');
      assert.equal(listener.provisioning_status, 'PENDING_CREATE');
      assert.equal(listener.operating_status, 'OFFLINE');
      assert.equal('loadbalancers' in listener, false, 'full listeners leave out loadbalancers');
      assert.equal(listener.project_id, 'p-example');

      const pools = new Map<string, any>(lb.pools.map((p: any) => [p.name, p]));
      assert.deepEqual([...pools.keys()].sort(), ['api-pool', 'rr']);
      const rr = pools.get('rr');
      const apiPool = pools.get('api-pool');
      assert.equal(listener.default_pool_id, rr.id);
      for (const pool of lb.pools) {
        assert.equal('loadbalancers' in pool, false, 'full pools leave out loadbalancers');
        assert.equal('healthmonitor_id' in pool, false, 'full pools carry healthmonitor instead');
        assert.equal(pool.provisioning_status, 'PENDING_CREATE');
      }
      assert.equal(rr.members.length, 2);
      assert.deepEqual(rr.members.map((m: any) => m.address).sort(), ['192.0.2.16', '192.0.2.19']);
      assert.ok(rr.members.every((m: any) => m.provisioning_status === 'PENDING_CREATE' && m.operating_status === 'OFFLINE' && typeof m.id === 'string'));
      assert.equal(rr.healthmonitor.type, 'HTTP');
      assert.equal(rr.healthmonitor.url_path, '/healthz');
      assert.equal(rr.healthmonitor.http_method, 'GET');
      assert.equal('pools' in rr.healthmonitor, false);
      assert.equal(apiPool.healthmonitor, null);
      assert.deepEqual(apiPool.members, []);
      assert.deepEqual(apiPool.session_persistence, { type: 'APP_COOKIE', cookie_name: 'sess', persistence_timeout: null, persistence_granularity: null });
      assert.deepEqual(apiPool.listeners, [{ id: listener.id }], 'a redirect target lists the listener');

      assert.equal(listener.l7policies.length, 1);
      const [policy] = listener.l7policies;
      assert.equal(policy.name, 'api');
      assert.equal(policy.action, 'REDIRECT_TO_POOL');
      assert.equal(policy.redirect_pool_id, apiPool.id);
      assert.equal(policy.position, 1);
      assert.equal(policy.rules.length, 1);
      assert.equal(policy.rules[0].type, 'PATH');
      assert.equal(policy.rules[0].value, '/api');
      assert.equal(policy.rules[0].provisioning_status, 'PENDING_CREATE');

      const jobs = await app.rt.database.db.selectFrom('job').select('id').where('load_balancer_id', '=', lb.id).execute();
      assert.equal(jobs.length, 1, 'one provider operation for the whole tree');

      await app.waitFor(`${LBS}/${lb.id}`, 'loadbalancer');
      const got = (await app.request('GET', `${LBS}/${lb.id}`)).body.loadbalancer;
      assert.equal(got.provisioning_status, 'ACTIVE');
      assert.deepEqual(got.listeners, [{ id: listener.id }]);
      assert.deepEqual(got.pools.map((p: any) => p.id).sort(), [rr.id, apiPool.id].sort());

      const active = async (path: string, key: string) => {
        const r = await app.request('GET', path);
        assert.equal(r.status, 200, path);
        assert.equal(r.body[key].provisioning_status, 'ACTIVE', `${path}: ${JSON.stringify(r.body)}`);
        return r.body[key];
      };
      await active(`/v2/lbaas/listeners/${listener.id}`, 'listener');
      for (const pool of lb.pools) await active(`/v2/lbaas/pools/${pool.id}`, 'pool');
      for (const member of rr.members) await active(`/v2/lbaas/pools/${rr.id}/members/${member.id}`, 'member');
      const hm = await active(`/v2/lbaas/healthmonitors/${rr.healthmonitor.id}`, 'healthmonitor');
      assert.equal(hm.operating_status, 'ONLINE');
      const l7 = await active(`/v2/lbaas/l7policies/${policy.id}`, 'l7policy');
      assert.equal(l7.operating_status, 'ONLINE');
      await active(`/v2/lbaas/l7policies/${policy.id}/rules/${policy.rules[0].id}`, 'rule');

      const tree = (await app.request('GET', `${LBS}/${lb.id}/status`)).body.statuses.loadbalancer;
      assert.equal(tree.provisioning_status, 'ACTIVE');
      assert.equal(tree.listeners.length, 1);
      const treePools = tree.listeners[0].pools;
      assert.deepEqual(treePools.map((p: any) => p.name).sort(), ['api-pool', 'rr'], 'default and redirect pools');
      const treeRr = treePools.find((p: any) => p.name === 'rr');
      assert.equal(treeRr.health_monitor.provisioning_status, 'ACTIVE');
      assert.equal(treeRr.members.length, 2);
      assert.ok([tree.listeners[0], ...treePools, ...treeRr.members].every((n: any) => n.provisioning_status === 'ACTIVE'));
    });

    test('a plain create still answers empty listeners and pools', async () => {
      const res = await create({}, 'p-plain');
      assert.equal(res.status, 201);
      assert.deepEqual(res.body.loadbalancer.listeners, []);
      assert.deepEqual(res.body.loadbalancer.pools, []);
      await app.waitFor(`${LBS}/${res.body.loadbalancer.id}`, 'loadbalancer');
    });

    test('§5.2 error texts, each writing nothing', async () => {
      await fails(
        'p-unnamed',
        { listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }] },
        400,
        'Validation failure: Pools must be named when creating a fully populated loadbalancer.',
      );
      await fails(
        'p-duplicate',
        {
          listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }],
          pools: [{ name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }],
        },
        400,
        'Validation failure: Pool names must be unique when creating a fully populated loadbalancer.',
      );
      await fails(
        'p-dangling',
        { listeners: [{ protocol: 'HTTP', protocol_port: 80, l7policies: [{ action: 'REDIRECT_TO_POOL', redirect_pool: { name: 'ghost' } }] }] },
        400,
        "Validation failure: Pool 'ghost' was referenced but no full definition was found.",
      );
      await fails('p-noproto', { pools: [{ name: 'p', lb_algorithm: 'ROUND_ROBIN' }] }, 400, "Validation failure: Pool definition for 'p' missing required attribute: protocol");
      await fails('p-noalg', { pools: [{ name: 'p', protocol: 'TCP' }] }, 400, "Validation failure: Pool definition for 'p' missing required attribute: lb_algorithm");
    });

    test('a failure anywhere in the tree rolls the whole create back', async () => {
      const tree = exampleTree();
      tree.listeners[0].default_pool.members[1].address = '169.254.169.254';
      await fails('p-member', tree, 400, '169.254.169.254 is not a valid option for member address');

      await fails(
        'p-protocol',
        { pools: [{ name: 'u', protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN' }], listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'u' } }] },
        400,
        "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.",
      );

      await fails(
        'p-monitor',
        { pools: [{ name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '192.0.2.1', protocol_port: 80 }], healthmonitor: { type: 'UDP-CONNECT', delay: 5, timeout: 3, max_retries: 2 } }] },
        400,
        'Validation failure: The UDP-CONNECT type is only supported for pools of type UDP/SCTP.',
      );

      const badRule = exampleTree();
      (badRule.listeners[0].l7policies[0].rules[0] as Record<string, unknown>) = { type: 'HEADER', compare_type: 'EQUAL_TO', value: 'x' };
      await fails('p-rule', badRule, 400, /^Error parsing L7Rule: /);

      const sameMember = exampleTree();
      sameMember.listeners[0].default_pool.members[1].address = '192.0.2.16';
      await fails('p-dupmember', sameMember, 409, 'Another member on this pool is already using ip 192.0.2.16 on protocol_port 80');

      await fails(
        'p-port',
        { listeners: [{ protocol: 'HTTP', protocol_port: 80 }, { protocol: 'TCP', protocol_port: 80 }] },
        409,
        'Another Listener on this Load Balancer is already using protocol TCP and protocol_port 80',
      );

      await fails(
        'p-listener',
        { listeners: [{ protocol: 'TCP', protocol_port: 80, insert_headers: { 'X-Forwarded-For': 'true' } }] },
        400,
        /insert-headers is not a valid option/,
      );

      await fails(
        'p-l7args',
        { listeners: [{ protocol: 'HTTP', protocol_port: 80, l7policies: [{ action: 'REDIRECT_TO_URL' }] }] },
        400,
        'Invalid L7 Policy arguments: redirect_url must not be None',
      );
    });

    test('schema errors inside the tree are 400s naming the nested argument', async () => {
      await fails(
        'p-schema',
        { pools: [{ name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '192.0.2.1', protocol_port: 80, pool_id: SUBNET }] }] },
        400,
        'Unknown attribute for argument members: pool_id',
      );
      await fails('p-schema2', { listeners: [{ protocol: 'HTTP' }] }, 400, "Invalid input for field/attribute protocol_port. Value: 'None'. Mandatory field missing.");
      await fails('p-schema3', { listeners: [{ protocol: 'HTTP', protocol_port: 80, loadbalancer_id: SUBNET }] }, 400, 'Unknown attribute for argument listeners: loadbalancer_id');
    });

    test('quota counts every object of the tree', async () => {
      const quota = await app.request('PUT', '/v2/lbaas/quotas/p-quota', { quota: { member: 1 } });
      assert.equal(quota.status, 202, JSON.stringify(quota.body));
      await fails('p-quota', exampleTree(), 403, 'Quota has been met for resources: Member');
    });

    test('standalone POSTs refuse the nested keys with 400', async () => {
      const id = '00000000-0000-4000-8000-000000000001';
      const cases: [string, string, Record<string, unknown>, string][] = [
        ['/v2/lbaas/listeners', 'listener', { loadbalancer_id: id, protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'p' } }, 'default_pool'],
        ['/v2/lbaas/listeners', 'listener', { loadbalancer_id: id, protocol: 'HTTP', protocol_port: 80, l7policies: [] }, 'l7policies'],
        ['/v2/lbaas/pools', 'pool', { loadbalancer_id: id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', healthmonitor: null }, 'healthmonitor'],
        ['/v2/lbaas/pools', 'pool', { loadbalancer_id: id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [] }, 'members'],
        ['/v2/lbaas/l7policies', 'l7policy', { listener_id: id, action: 'REJECT', rules: [] }, 'rules'],
      ];
      for (const [path, wrapper, body, key] of cases) {
        const res = await app.request('POST', path, { [wrapper]: body });
        assert.equal(res.status, 400, `${path} with ${key}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.faultstring, `Unknown attribute for argument ${wrapper}: ${key}`);
      }
    });
  });
}
