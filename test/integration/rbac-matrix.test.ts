// The RBAC matrix: every route of the running app × every persona × an object of the caller's
// own project and of another project, asserting allowed / 403 / 401 against an expectation
// built here, independently of src/auth, from docs/octavia-compatibility.md §7 (and, for the alternative policy
// profiles, from Octavia's opt-in policy files). Routes come from the app's route table, so new
// endpoints are covered automatically — and a policy action or path parameter this test does
// not know fails it, so the table below must grow with the API. The default profile runs in
// full on both back ends, the alternatives on the embedded database.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BACKENDS, type Backend } from '../helpers/db.ts';
import { startTestApp, SUBNET, type TestApp } from '../helpers/app.ts';
import { makeCa, serverCert } from '../helpers/tls-pki.ts';
import { createApiKey } from '../../src/auth/apikey-store.ts';
import { ensureDashboardBuilt } from '../../src/ui/build.ts';
import { recordEventNow } from '../../src/observability/events.ts';

const P = 'project-p';
const Q = 'project-q';
const POLICY_DENIED = 'Policy does not allow this request to be performed.';

/**
 * The routes that need no credentials (the version documents, and the dashboard's static files:
 * the page holds no data, its calls carry a token); every other route is guarded.
 */
const PUBLIC_ROUTES = new Set(['GET /', 'GET /v2', 'GET /ui', 'GET /ui/*']);
/** Routes whose credential is in the body (a host's one-time join token), checked by the route itself (api-hosts.test.ts). */
const TOKEN_ROUTES = new Set(['POST /v2/fulcrum/hosts/join']);

/** Who calls: a key of project P with these roles (Keystone's implications apply: admin ⇒ member ⇒ reader). */
const PERSONAS = {
  'reader-only': ['reader'],
  'member-only': ['member'],
  admin: ['admin'],
  'load-balancer_observer': ['load-balancer_observer'],
  'load-balancer_global_observer': ['load-balancer_global_observer'],
  'load-balancer_member': ['load-balancer_member'],
  'load-balancer_quota_admin': ['load-balancer_quota_admin'],
  'load-balancer_admin': ['load-balancer_admin'],
} as const;
type Role = keyof typeof PERSONAS;
const ROLES = Object.keys(PERSONAS) as Role[];

type Profile = 'octavia' | 'keystone-default-roles' | 'admin-or-owner';

// Who passes each rule, for a key of project P, on P's objects (own) and on Q's (other); and
// who may list every project (`global`). Written out by persona, not derived from check strings.
type Rule = 'read' | 'write' | 'admin' | 'read-quota' | 'write-quota';
type Passes = Record<Rule, { own: Role[]; other: Role[]; global?: Role[] }>;
const ADMINS: Role[] = ['admin', 'load-balancer_admin'];
const PASSES: Record<Profile, Passes> = {
  // docs/octavia-compatibility.md §7.2/§7.3: a load-balancer_* role is needed; member/reader alone get nothing.
  octavia: {
    read: {
      own: ['admin', 'load-balancer_observer', 'load-balancer_global_observer', 'load-balancer_member', 'load-balancer_admin'],
      other: ['admin', 'load-balancer_global_observer', 'load-balancer_admin'],
      global: ['admin', 'load-balancer_global_observer', 'load-balancer_admin'],
    },
    write: { own: ['admin', 'load-balancer_member', 'load-balancer_admin'], other: ADMINS },
    admin: { own: ADMINS, other: ADMINS },
    'read-quota': {
      own: ['admin', 'load-balancer_observer', 'load-balancer_global_observer', 'load-balancer_member', 'load-balancer_quota_admin', 'load-balancer_admin'],
      other: ['admin', 'load-balancer_global_observer', 'load-balancer_quota_admin', 'load-balancer_admin'],
      global: ['admin', 'load-balancer_global_observer', 'load-balancer_quota_admin', 'load-balancer_admin'],
    },
    'write-quota': { own: ['admin', 'load-balancer_quota_admin', 'load-balancer_admin'], other: ['admin', 'load-balancer_quota_admin', 'load-balancer_admin'] },
  },
  // Keystone's personas: reader reads, member (a reader too) writes, admin everything; the
  // load-balancer_* roles count for nothing but load-balancer_admin on the admin APIs.
  'keystone-default-roles': {
    read: { own: ['reader-only', 'member-only', 'admin'], other: ['admin'], global: ['admin'] },
    write: { own: ['member-only', 'admin'], other: ['admin'] },
    admin: { own: ADMINS, other: ADMINS },
    'read-quota': { own: ['reader-only', 'member-only', 'admin'], other: ['admin'], global: ['admin'] },
    'write-quota': { own: ['admin'], other: ['admin'] },
  },
  // Whoever belongs to the project owns its objects; administrators own everything.
  'admin-or-owner': {
    read: { own: ROLES, other: ADMINS, global: ADMINS },
    write: { own: ROLES, other: ADMINS },
    admin: { own: ADMINS, other: ADMINS },
    'read-quota': { own: ROLES, other: ADMINS, global: ADMINS },
    'write-quota': { own: ADMINS, other: ADMINS },
  },
};

/**
 * How an action is judged. `project`: against the addressed object's project (own/other).
 * `list`: own = the caller's project; other = `?project_id=Q`, which also needs the rule for
 * every project (docs/octavia-compatibility.md §7.1). `global`: resources without a project (target = caller's own).
 */
type Scope = 'project' | 'list' | 'global';
interface Expectation {
  rule: Rule;
  scope: Scope;
}

const TREE = ['loadbalancer', 'listener', 'pool', 'member', 'healthmonitor', 'l7policy', 'l7rule', 'fulcrum:certificate', 'fulcrum:webhook'];
const EXPECTATIONS: Record<string, Expectation> = {};
for (const r of TREE) {
  // Member and L7 rule lists are addressed through their parent: judged on its project.
  EXPECTATIONS[`${r}:get_all`] = { rule: 'read', scope: r === 'member' || r === 'l7rule' ? 'project' : 'list' };
  for (const a of ['get_one', 'get_stats', 'get_status']) EXPECTATIONS[`${r}:${a}`] = { rule: 'read', scope: 'project' };
  for (const a of ['post', 'put', 'delete']) EXPECTATIONS[`${r}:${a}`] = { rule: 'write', scope: 'project' };
}
Object.assign(EXPECTATIONS, {
  'loadbalancer:put_failover': { rule: 'admin', scope: 'project' },
  'quota:get_all': { rule: 'read-quota', scope: 'list' },
  'quota:get_one': { rule: 'read-quota', scope: 'project' },
  'quota:get_defaults': { rule: 'read-quota', scope: 'project' },
  'quota:put': { rule: 'write-quota', scope: 'project' },
  'quota:delete': { rule: 'write-quota', scope: 'project' },
  'provider:get_all': { rule: 'read', scope: 'global' },
  'provider-flavor:get_all': { rule: 'admin', scope: 'global' },
  'provider-availability-zone:get_all': { rule: 'admin', scope: 'global' },
  'flavor:get_all': { rule: 'read', scope: 'global' },
  'flavor:get_one': { rule: 'read', scope: 'global' },
  'availability-zone:get_all': { rule: 'read', scope: 'global' },
  'availability-zone:get_one': { rule: 'read', scope: 'global' },
  'fulcrum:network:get_all': { rule: 'read', scope: 'global' },
  'fulcrum:network:get_one': { rule: 'read', scope: 'global' },
  'fulcrum:subnet:get_all': { rule: 'read', scope: 'global' },
  'fulcrum:subnet:get_one': { rule: 'read', scope: 'global' },
  'fulcrum:network:post': { rule: 'admin', scope: 'global' },
  'fulcrum:network:delete': { rule: 'admin', scope: 'global' },
  'fulcrum:subnet:post': { rule: 'admin', scope: 'global' },
  'fulcrum:subnet:delete': { rule: 'admin', scope: 'global' },
  'fulcrum:job:get_all': { rule: 'admin', scope: 'global' },
  'fulcrum:job:get_one': { rule: 'admin', scope: 'global' },
  'fulcrum:health_manager:get_all': { rule: 'admin', scope: 'global' },
  'fulcrum:circuit_breaker:get_all': { rule: 'admin', scope: 'global' },
  'fulcrum:circuit_breaker:reset': { rule: 'admin', scope: 'global' },
  'fulcrum:metrics:get': { rule: 'admin', scope: 'global' },
  // A drill kills an amphora for real: administrators only, on any project's load balancer.
  'fulcrum:loadbalancer:drill': { rule: 'admin', scope: 'project' },
  'fulcrum:loadbalancer:get_drill': { rule: 'admin', scope: 'project' },
  'fulcrum:loadbalancer:get_logs': { rule: 'read', scope: 'project' },
  'fulcrum:event:get_all': { rule: 'read', scope: 'list' },
  'fulcrum:event:get_one': { rule: 'read', scope: 'project' },
  'fulcrum:webhook:get_deliveries': { rule: 'read', scope: 'project' },
  'fulcrum:listener:get_protection_sources': { rule: 'admin', scope: 'project' },
  'fulcrum:host:get_all': { rule: 'admin', scope: 'global' },
  'fulcrum:host:get_one': { rule: 'admin', scope: 'global' },
  'fulcrum:host:put': { rule: 'admin', scope: 'global' },
  'fulcrum:host:delete': { rule: 'admin', scope: 'global' },
  'fulcrum:host:create_join_token': { rule: 'admin', scope: 'global' },
  'fulcrum:loadbalancer:migrate': { rule: 'admin', scope: 'project' },
  'fulcrum:loadbalancer:get_diagnostics': { rule: 'admin', scope: 'project' },
  'fulcrum:loadbalancer:resync': { rule: 'admin', scope: 'project' },
  'fulcrum:loadbalancer:rebuild': { rule: 'admin', scope: 'project' },
} satisfies Record<string, Expectation>);
for (const r of ['flavor', 'availability-zone']) for (const a of ['post', 'put', 'delete']) EXPECTATIONS[`${r}:${a}`] = { rule: 'admin', scope: 'global' };
for (const r of ['flavor-profile', 'availability-zone-profile']) {
  for (const a of ['get_all', 'get_one', 'post', 'put', 'delete']) EXPECTATIONS[`${r}:${a}`] = { rule: 'admin', scope: 'global' };
}
for (const a of ['get_all', 'get_one', 'delete', 'get_stats', 'put_failover', 'put_config']) EXPECTATIONS[`amphora:${a}`] = { rule: 'admin', scope: 'global' };

function expectedAllowed(profile: Profile, role: Role, e: Expectation, target: 'own' | 'other'): boolean {
  const passes = PASSES[profile][e.rule];
  if (e.scope === 'global' || target === 'own') return passes.own.includes(role);
  if (e.scope === 'project') return passes.other.includes(role);
  // A list of another project: the list rule on the caller's project and the global rule.
  return passes.own.includes(role) && (passes.global ?? []).includes(role);
}

/** The objects each project owns, and the global ones, that routes are addressed with. */
interface Fixtures {
  project: Record<'own' | 'other', Record<string, string>>;
  global: Record<string, string>;
}

/** Path parameter → which fixture fills it, by the collection segment before it. */
function fillPath(url: string, ids: Record<string, string>, global: Record<string, string>): string {
  const segments = url.split('/');
  return segments
    .map((seg, i) => {
      if (!seg.startsWith(':')) return seg;
      const key = `${segments[i - 1]}/${seg}`;
      const value = ids[key] ?? global[key];
      if (value === undefined) assert.fail(`rbac-matrix does not know how to address ${key} in ${url}: add a fixture`);
      return encodeURIComponent(value);
    })
    .join('/');
}

/** A body that passes the route's schema, so the policy (not validation) decides. */
function bodyFor(action: string, url: string, ids: Record<string, string>, projectId: string, global: Record<string, string>, n: number): unknown {
  const name = `rbac-${n}`;
  const bodies: Record<string, () => unknown> = {
    'loadbalancer:post': () => ({ loadbalancer: { vip_subnet_id: SUBNET, project_id: projectId } }),
    'loadbalancer:put': () => ({ loadbalancer: { name } }),
    'listener:post': () => ({ listener: { loadbalancer_id: ids['loadbalancers/:id'], protocol: 'TCP', protocol_port: 10_000 + n } }),
    'listener:put': () => (url.endsWith('/protection') ? { protection: { burst: 0 } } : { listener: { name } }),
    'pool:post': () => ({ pool: { loadbalancer_id: ids['loadbalancers/:id'], protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' } }),
    'pool:put': () => ({ pool: { name } }),
    'member:post': () => ({ member: { address: '192.0.2.77', protocol_port: 10_000 + n } }),
    'member:put': () => (url.endsWith('/members') ? { members: [] } : { member: { name } }),
    'healthmonitor:post': () => ({ healthmonitor: { pool_id: ids['pools/:id'], type: 'TCP', delay: 5, timeout: 3, max_retries: 3 } }),
    'healthmonitor:put': () => ({ healthmonitor: { name } }),
    'l7policy:post': () => ({ l7policy: { listener_id: ids['listeners/:id'], action: 'REJECT' } }),
    'l7policy:put': () => ({ l7policy: { name } }),
    'l7rule:post': () => ({ rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: `/${name}` } }),
    'l7rule:put': () => ({ rule: { value: `/${name}` } }),
    'quota:put': () => ({ quota: { loadbalancer: 1000 } }),
    'flavor:post': () => ({ flavor: { name, flavor_profile_id: global['flavorprofiles/:id'] } }),
    'flavor:put': () => ({ flavor: { description: name } }),
    'flavor-profile:post': () => ({ flavorprofile: { name, provider_name: 'noop', flavor_data: '{}' } }),
    'flavor-profile:put': () => ({ flavorprofile: { name } }),
    'availability-zone:post': () => ({ availability_zone: { name, availability_zone_profile_id: global['availabilityzoneprofiles/:id'] } }),
    'availability-zone:put': () => ({ availability_zone: { description: name } }),
    'availability-zone-profile:post': () => ({ availability_zone_profile: { name, provider_name: 'noop', availability_zone_data: '{}' } }),
    'availability-zone-profile:put': () => ({ availability_zone_profile: { name } }),
    'fulcrum:network:post': () => ({ network: { name } }),
    'fulcrum:subnet:post': () => ({ subnet: { network_id: global['networks/:id'], cidr: `10.250.${n % 250}.0/24` } }),
    'fulcrum:certificate:post': () => ({ certificate: { type: 'ca', ca: 'not a certificate', project_id: projectId } }),
    'fulcrum:circuit_breaker:reset': () => ({ circuit_breaker: { domain: 'fleet' } }),
    'fulcrum:webhook:post': () => ({ webhook: { url: 'http://127.0.0.1:9/hook', secret: 'rbac-webhook-secret-0123', project_id: projectId } }),
    'fulcrum:host:put': () => ({ host: { capacity: 10 } }),
    'fulcrum:host:create_join_token': () => ({}),
    'fulcrum:loadbalancer:migrate': () => ({ host_id: global['hosts/:id'] }),
  };
  const make = bodies[action];
  if (make) return make();
  // Actions without a body (failover, config) are PUTs with nothing to send.
  if (['loadbalancer:put_failover', 'amphora:put_failover', 'amphora:put_config', 'fulcrum:loadbalancer:drill', 'fulcrum:loadbalancer:resync', 'fulcrum:loadbalancer:rebuild'].includes(action)) return undefined;
  return assert.fail(`rbac-matrix has no request body for ${action} (${url}): add one`);
}

type Outcome = 'allowed' | 'forbidden' | 'unauthenticated';

const RUNS: [Profile, Backend][] = [...BACKENDS.map((b): [Profile, Backend] => ['octavia', b]), ['keystone-default-roles', 'pglite'], ['admin-or-owner', 'pglite']];

for (const [profile, backend] of RUNS) {
  describe(`RBAC matrix (policy profile ${profile}, ${backend})`, () => {
    let app: TestApp;
    const keys = {} as Record<Role, string>;
    let adminKey: string;
    let fixtures: Fixtures;

    const call = (token: string | null, method: string, url: string, body?: unknown) =>
      app.request(method, url, body, token === null ? {} : { 'x-auth-token': token });

    async function waitActive(path: string, wrapper: string): Promise<void> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const res = await call(adminKey, 'GET', path);
        if (res.body?.[wrapper]?.provisioning_status === 'ACTIVE') return;
        if (Date.now() > deadline) assert.fail(`${path} did not become ACTIVE: ${JSON.stringify(res.body)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }

    async function create(path: string, wrapper: string, body: unknown, waitPath?: (id: string) => string): Promise<string> {
      const res = await call(adminKey, 'POST', path, body);
      assert.ok(res.status === 201 || res.status === 202, `${path}: ${res.status} ${JSON.stringify(res.body)}`);
      const id = res.body[wrapper].id ?? res.body[wrapper].name;
      if (waitPath) await waitActive(waitPath(id), wrapper);
      return id;
    }

    async function lbTree(projectId: string): Promise<Record<string, string>> {
      const lb = await create('/v2/lbaas/loadbalancers', 'loadbalancer', { loadbalancer: { vip_subnet_id: SUBNET, project_id: projectId } }, (id) => `/v2/lbaas/loadbalancers/${id}`);
      const wait = () => waitActive(`/v2/lbaas/loadbalancers/${lb}`, 'loadbalancer');
      const listener = await create('/v2/lbaas/listeners', 'listener', { listener: { loadbalancer_id: lb, protocol: 'HTTP', protocol_port: 80 } });
      await wait();
      const pool = await create('/v2/lbaas/pools', 'pool', { pool: { listener_id: listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
      await wait();
      const member = await create(`/v2/lbaas/pools/${pool}/members`, 'member', { member: { address: '192.0.2.10', protocol_port: 80 } });
      await wait();
      const hm = await create('/v2/lbaas/healthmonitors', 'healthmonitor', { healthmonitor: { pool_id: pool, type: 'TCP', delay: 5, timeout: 3, max_retries: 3 } });
      await wait();
      const ids: Record<string, string> = {
        'loadbalancers/:id': lb,
        'listeners/:id': listener,
        'pools/:id': pool,
        'pools/:pool_id': pool,
        'members/:id': member,
        'healthmonitors/:id': hm,
        'quotas/:project_id': projectId,
        // No drill has run: an allowed caller gets 404, a denied one 403.
        'drills/:drill_id': randomUUID(),
      };
      if (app.api.routeTable.some((r) => r.url === '/v2/lbaas/l7policies' && r.method === 'POST')) {
        const l7 = await create('/v2/lbaas/l7policies', 'l7policy', { l7policy: { listener_id: listener, action: 'REJECT' } });
        await wait();
        const rule = await create(`/v2/lbaas/l7policies/${l7}/rules`, 'rule', { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' } });
        await wait();
        Object.assign(ids, { 'l7policies/:id': l7, 'l7policies/:l7policy_id': l7, 'rules/:id': rule });
      }
      if (app.api.routeTable.some((r) => r.url === '/v2/fulcrum/certificates' && r.method === 'POST')) {
        const pair = await serverCert(await makeCa('rbac-ca'), 'rbac.example');
        ids['certificates/:id'] = await create('/v2/fulcrum/certificates', 'certificate', {
          certificate: { type: 'certificate', certificate: pair.certPem, private_key: pair.keyPem, project_id: projectId },
        });
      }
      if (app.api.routeTable.some((r) => r.url === '/v2/fulcrum/webhooks' && r.method === 'POST')) {
        ids['webhooks/:id'] = await create('/v2/fulcrum/webhooks', 'webhook', { webhook: { url: 'http://127.0.0.1:9/hook', secret: 'rbac-webhook-secret-0123', project_id: projectId } });
        const event = await recordEventNow(app.rt.database.db, { type: 'quota.reached', projectId, loadBalancerId: lb, detail: { resources: ['Load Balancer'] } });
        ids['events/:id'] = event!;
      }
      return ids;
    }

    async function globalFixtures(): Promise<Record<string, string>> {
      const has = (url: string) => app.api.routeTable.some((r) => r.url === url && r.method === 'POST');
      const network = await create('/v2/fulcrum/networks', 'network', { network: { name: 'rbac-net' } });
      const subnet = await create('/v2/fulcrum/subnets', 'subnet', { subnet: { network_id: network, cidr: '10.251.0.0/24' } });
      const global: Record<string, string> = {
        'networks/:id': network,
        'subnets/:id': subnet,
        'providers/:provider': 'noop',
        'amphorae/:id': randomUUID(),
        'hosts/:id': randomUUID(),
      };
      await app.rt.database.db.insertInto('host').values({ id: global['hosts/:id'], name: 'rbac-host', address: '192.0.2.10', port: 9443 }).execute();
      const job = await app.rt.database.db.selectFrom('job').select('id').executeTakeFirstOrThrow();
      global['jobs/:id'] = String(job.id);
      if (has('/v2/lbaas/flavorprofiles')) {
        global['flavorprofiles/:id'] = await create('/v2/lbaas/flavorprofiles', 'flavorprofile', { flavorprofile: { name: 'rbac', provider_name: 'noop', flavor_data: '{}' } });
        global['flavors/:id'] = await create('/v2/lbaas/flavors', 'flavor', { flavor: { name: 'rbac', flavor_profile_id: global['flavorprofiles/:id'] } });
      }
      if (has('/v2/lbaas/availabilityzoneprofiles')) {
        global['availabilityzoneprofiles/:id'] = await create('/v2/lbaas/availabilityzoneprofiles', 'availability_zone_profile', {
          availability_zone_profile: { name: 'rbac', provider_name: 'noop', availability_zone_data: '{}' },
        });
        global['availabilityzones/:name'] = await create('/v2/lbaas/availabilityzones', 'availability_zone', {
          availability_zone: { name: 'rbac-az', availability_zone_profile_id: global['availabilityzoneprofiles/:id'] },
        });
      }
      return global;
    }

    before(async () => {
      await ensureDashboardBuilt();
      app = await startTestApp(backend, { config: { authStrategy: 'apikey', policyProfile: profile } });
      const db = app.rt.database.db;
      for (const role of ROLES) keys[role] = (await createApiKey(db, { projectId: P, roles: [...PERSONAS[role]], name: role })).key;
      adminKey = (await createApiKey(db, { projectId: 'project-ops', roles: ['admin'], name: 'fixtures' })).key;
      fixtures = { project: { own: await lbTree(P), other: await lbTree(Q) }, global: await globalFixtures() };
      // Hold both load balancers in PENDING_UPDATE: a write the policy allows then stops at the
      // object lock (409) instead of changing the fixtures the next request needs.
      await app.setWorker(false);
      for (const ids of Object.values(fixtures.project)) {
        const res = await call(adminKey, 'PUT', `/v2/lbaas/loadbalancers/${ids['loadbalancers/:id']}`, { loadbalancer: { description: 'rbac' } });
        assert.equal(res.status, 200);
      }
    });
    after(async () => {
      await app?.close();
    });

    it('knows every guarded route of the app, and only the version documents and the dashboard files are public', async () => {
      const unknown = app.api.routeTable
        .filter((r) => !PUBLIC_ROUTES.has(`${r.method} ${r.url}`) && !TOKEN_ROUTES.has(`${r.method} ${r.url}`))
        .filter((r) => !r.policy || !EXPECTATIONS[r.policy])
        .map((r) => `${r.method} ${r.url} → ${r.policy ?? '(no policy)'}`);
      assert.deepEqual(unknown, [], 'add these actions to the rbac-matrix expectation table (docs/octavia-compatibility.md §7.3)');
      for (const route of PUBLIC_ROUTES) {
        const [method, url] = route.split(' ');
        assert.equal((await call(null, method, url.replace('*', 'index.html'))).status, 200, `${route} without credentials`);
      }
    });

    it('allows, forbids (403) or refuses (401) every route for every role, own and other project', async () => {
      const routes = app.api.routeTable
        .filter((r) => !PUBLIC_ROUTES.has(`${r.method} ${r.url}`) && r.policy && EXPECTATIONS[r.policy])
        // Deletes last, so an allowed delete of a global fixture cannot hide another route's check.
        .sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
      assert.ok(routes.length >= 40, `only ${routes.length} routes`);
      const mismatches: string[] = [];
      let n = 0;
      for (const route of routes) {
        const action = route.policy!;
        const expectation = EXPECTATIONS[action];
        const targets = expectation.scope === 'global' ? (['own'] as const) : (['own', 'other'] as const);
        for (const target of targets) {
          const ids = fixtures.project[target];
          const projectId = target === 'own' ? P : Q;
          let url = fillPath(route.url, ids, fixtures.global);
          if (expectation.scope === 'list' && target === 'other') url += `?project_id=${Q}`;
          const body = () => (['POST', 'PUT'].includes(route.method) ? bodyFor(action, route.url, ids, projectId, fixtures.global, ++n) : undefined);
          // Roles expected to be refused go first, for the same reason deletes go last.
          const roles = [...ROLES].sort((a, b) => Number(expectedAllowed(profile, a, expectation, target)) - Number(expectedAllowed(profile, b, expectation, target)));
          for (const role of roles) {
            const res = await call(keys[role], route.method, url, body());
            const outcome: Outcome = res.status === 401 ? 'unauthenticated' : res.status === 403 && res.body?.faultstring === POLICY_DENIED ? 'forbidden' : 'allowed';
            const expected: Outcome = expectedAllowed(profile, role, expectation, target) ? 'allowed' : 'forbidden';
            if (outcome !== expected) mismatches.push(`${role} ${route.method} ${route.url} (${target}, ${action}): expected ${expected}, got ${res.status} ${JSON.stringify(res.body)?.slice(0, 160)}`);
            if (res.status >= 500 && res.status !== 501) mismatches.push(`${role} ${route.method} ${url}: ${res.status} ${JSON.stringify(res.body)?.slice(0, 160)}`);
          }
        }
        const url = fillPath(route.url, fixtures.project.own, fixtures.global);
        for (const token of [null, 'fulcrum_not-a-valid-key']) {
          const res = await call(token, route.method, url, route.method === 'POST' || route.method === 'PUT' ? {} : undefined);
          if (res.status !== 401) mismatches.push(`${token === null ? 'no credentials' : 'bad key'} ${route.method} ${route.url}: expected 401, got ${res.status}`);
        }
      }
      assert.deepEqual(mismatches, []);
    });

    it("narrows lists to the caller's project unless it may list every project", async () => {
      const lbs = async (role: Role) => (await call(keys[role], 'GET', '/v2/lbaas/loadbalancers')).body.loadbalancers.map((l: { project_id: string }) => l.project_id);
      const ownReader = PASSES[profile].read.own.find((r) => !(PASSES[profile].read.global ?? []).includes(r))!;
      const own = await lbs(ownReader);
      assert.ok(own.length > 0 && own.every((p: string) => p === P), `${ownReader}: ${JSON.stringify(own)}`);
      const globals = PASSES[profile].read.global ?? [];
      assert.ok(globals.length > 0);
      for (const role of globals) {
        const all = new Set(await lbs(role));
        assert.ok(all.has(P) && all.has(Q), `${role} sees every project`);
      }
      const members = await call(keys[ownReader], 'GET', `/v2/lbaas/pools/${fixtures.project.own['pools/:id']}/members`);
      assert.equal(members.body.members.length, 1);
    });
  });
}
