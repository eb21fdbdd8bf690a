// Bad input gets a clear error and loses nothing. Every route of the running app (read from its
// route table, so new endpoints are covered without touching this file) is sent hostile path
// ids, malformed list queries and hostile bodies — bodies built from each route's own request
// schema (the OpenAPI document), one field at a time. Every answer must be below 500 and every
// 4xx must carry Octavia's fault body. A few semantic mistakes per resource must also be refused
// without writing a row. Inputs are fixed lists: the test is deterministic.
import { randomUUID } from 'node:crypto';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { createActiveLoadBalancer, startTestApp, SUBNET, type TestApp } from '../helpers/app.ts';
import { recordEventNow } from '../../src/observability/events.ts';
import { makeCa, serverCert } from '../helpers/tls-pki.ts';
import type { Table } from '../../src/db/schema.ts';

const FAKE_UUID = '6d1f4a1e-0c3b-4f5e-9a7d-2b8c9e0f1a2b';
/** A request that must be refused: method, URL, body, the status it must get. */
type Refusal = [string, string, unknown, number];
const JUNK_IDS = [
  'not-a-uuid',
  'y'.repeat(2000),
  'x'.repeat(4000),
  'ünïcødé-☃-𝄞',
  'a\u0000b',
  '\u0000',
  "' OR 1=1 --",
  '...',
  '-1',
  '1e999',
  '99999999999999999999999',
  '__proto__',
  'constructor',
  '00000000-0000-0000-0000-000000000000',
  FAKE_UUID,
];

const BAD_QUERIES = [
  'limit=-1',
  'limit=abc',
  'limit=0',
  'limit=99999999999999999999',
  'limit=1.5',
  'marker=junk',
  `marker=${FAKE_UUID}`,
  'sort=nope:up',
  'sort=name:sideways',
  'sort=__proto__',
  'sort_key=constructor&sort_dir=asc',
  'sort_dir=up',
  'fields=',
  'fields=__proto__',
  'fields=id&fields=nope',
  'page_reverse=maybe',
  'page_reverse=true',
  'limit=1&limit=2',
  'name=%00',
  'name=%ED%A0%80',
  'name=%zz',
  'id=not-a-uuid',
  'project_id=%00',
  'created_at=garbage',
  'updated_at=+099999-01-01T00:00:00',
  'admin_state_up=maybe',
  'protocol_port=abc',
  'protocol_port=99999999999999999999',
  'tags=',
  'not-tags-any=%00',
  'constructor=1',
  '__proto__=1',
  'unknown_param=1',
  `${encodeURIComponent('ü☃')}=${encodeURIComponent('𝄞')}`,
  'a'.repeat(2000) + '=1',
];

/** A string that stands for a raw JSON number literal JSON.stringify cannot write. */
const raw = (literal: string) => `__RAW__${literal}__`;
const deep = (depth: number): unknown => {
  let v: unknown = {};
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};
const COMMON_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 31,
  raw('9007199254740993'),
  raw('1e999'),
  raw('-0'),
  '',
  ' ',
  'ünïcødé ☃ 𝄞 \u202e',
  'a\u0000b',
  'x'.repeat(300),
  'x'.repeat(20_000),
  '../../etc/passwd',
  "' OR 1=1 --",
  '__proto__',
  [],
  [null],
  ['x', 1, {}],
  {},
  JSON.parse('{"__proto__":1,"constructor":"x"}'),
  deep(64),
];

/** Values aimed at one field's declared type: its edges and its near misses. */
function typedValues(schema: any): unknown[] {
  const out: unknown[] = [];
  const s = schema?.anyOf?.find((x: any) => x.type !== 'null') ?? schema ?? {};
  if (s.type === 'integer' || s.type === 'number') {
    for (const bound of [s.minimum, s.maximum]) if (typeof bound === 'number') out.push(bound - 1, bound + 1);
    out.push(65_536, -2_147_483_649, '80', '8O', '0x10', raw('1e3'));
  }
  if (s.type === 'string') {
    if (typeof s.maxLength === 'number') out.push('y'.repeat(s.maxLength + 1));
    if (s.enum) out.push('nope', String(s.enum[0]).toLowerCase(), ` ${s.enum[0]}`);
    if (s.format === 'uuid') out.push('NOT-A-UUID', FAKE_UUID, FAKE_UUID.toUpperCase());
    if (s.format === 'ip-address') out.push('999.1.1.1', '::g', '192.0.2.1/24', '127.0.0.1', '0.0.0.0', '::');
    if (s.format === 'cidr') out.push('10.0.0.0/33', '10.0.0.1/8', '::/129');
    out.push('not json', '{"a":', '[]', '"s"', 'null');
  }
  if (s.type === 'boolean') out.push('maybe', 'true', 1);
  if (s.type === 'array') out.push('x', Array.from({ length: 300 }, (_, i) => `t${i}`), [[[]]]);
  return out;
}

/** Bodies that are not a JSON object with the right wrapper, as raw text. */
function bodyShapes(wrapper: string | null): string[] {
  const w = wrapper ?? 'x';
  return [
    '',
    'not json',
    '{',
    '{"a":1,}',
    'null',
    '[]',
    '[{}]',
    '"string"',
    '123',
    'true',
    '{}',
    '{"wrong_wrapper":{}}',
    `{"${w}":null}`,
    `{"${w}":[]}`,
    `{"${w}":"x"}`,
    `{"${w}":1}`,
    `{"${w}":{},"extra":1}`,
    `{"${w}":{"unknown_field":1}}`,
    `{"${w}":{"__proto__":{"admin":true}}}`,
    `{"__proto__":{"${w}":{}}}`,
    `{"${w}":{},"${w}":[]}`,
    '{"a":'.repeat(5000) + '1' + '}'.repeat(5000),
    '['.repeat(5000) + ']'.repeat(5000),
    JSON.stringify({ [w]: { name: 'z'.repeat(200_000) } }),
    `{"${w}":{"name":"\\ud800"}}`,
    `\u0000{"${w}":{}}`,
    `{"\\udc00":{}}`,
  ];
}

/** The JSON body schema of each route, from the app's OpenAPI document. */
function bodySchemas(app: TestApp): Map<string, any> {
  const doc = (app.api as unknown as { swagger(): any }).swagger();
  const out = new Map<string, any>();
  for (const [path, ops] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(ops)) {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      if (schema) out.set(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`, schema);
    }
  }
  return out;
}

/** Every body that replaces one field (nested through objects and arrays of objects) of `base`. */
function* fieldMutations(base: any, schema: any, path: string[] = [], depth = 0): Generator<{ path: string; body: unknown }> {
  const s = schema?.anyOf?.find((x: any) => x.type !== 'null') ?? schema;
  if (s?.type !== 'object' || !s.properties || base === null || typeof base !== 'object' || Array.isArray(base)) return;
  for (const [field, fieldSchema] of Object.entries<any>(s.properties)) {
    // Deeper levels get the typed values only, to keep the battery's size in check.
    const values = depth <= 1 ? [...COMMON_VALUES, ...typedValues(fieldSchema)] : typedValues(fieldSchema).concat([null, 'x', 1, {}, []]);
    for (const value of values) yield { path: [...path, field].join('.'), body: { ...base, [field]: value } };
    const fs = fieldSchema?.anyOf?.find((x: any) => x.type !== 'null') ?? fieldSchema;
    const child = base[field];
    if (fs?.type === 'object' && child && typeof child === 'object' && !Array.isArray(child)) {
      for (const m of fieldMutations(child, fs, [...path, field], depth + 1)) yield { path: m.path, body: { ...base, [field]: m.body } };
    }
    if (fs?.type === 'array' && Array.isArray(child) && child.length > 0) {
      for (const m of fieldMutations(child[0], fs.items, [...path, field, '0'], depth + 1)) yield { path: m.path, body: { ...base, [field]: [m.body, ...child.slice(1)] } };
    }
  }
}

function toJson(body: unknown): string {
  return JSON.stringify(body).replace(/"__RAW__(.*?)__"/g, '$1');
}

for (const backend of BACKENDS) {
  describe(`API bad input (${backend})`, () => {
    let app: TestApp;
    let ids: Record<string, string>;
    let bases: Record<string, unknown>;
    const problems: string[] = [];
    let requests = 0;

    /** Fails with every bad answer collected since the last check, in full. */
    function assertNoProblems(): void {
      const found = problems.splice(0);
      assert.equal(found.length, 0, `${found.length} bad answers:\n${found.join('\n')}`);
    }

    async function send(method: string, url: string, payload?: string, contentType = 'application/json') {
      requests++;
      const res = await app.api.inject({
        method: method as never,
        url,
        headers: { 'x-project-id': 'project-a', ...(payload !== undefined ? { 'content-type': contentType } : {}) },
        payload,
      });
      let body: any = null;
      try {
        body = res.body.length ? JSON.parse(res.body) : null;
      } catch {
        body = res.body;
      }
      const label = `${method} ${url.slice(0, 120)}${payload !== undefined ? ` ${payload.slice(0, 120)}` : ''}`;
      // Octavia's answer to an action the provider lacks (a drill of a noop load balancer) is a 501.
      const unsupported = res.statusCode === 501 && typeof body?.faultstring === 'string' && body.faultstring.includes('does not support a requested action');
      if (res.statusCode >= 500 && !unsupported) problems.push(`${res.statusCode} ${label} → ${res.body.slice(0, 200)}`);
      else if (res.statusCode >= 400) {
        const ok =
          body &&
          typeof body === 'object' &&
          Object.keys(body).sort().join(',') === 'debuginfo,faultcode,faultstring' &&
          body.faultcode === (unsupported ? 'Server' : 'Client') &&
          typeof body.faultstring === 'string' &&
          body.faultstring.length > 0 &&
          body.debuginfo === null;
        if (!ok) problems.push(`${res.statusCode} without fault body: ${label} → ${res.body.slice(0, 200)}`);
      }
      if (res.statusCode < 300 && method !== 'GET') await settle();
      return { status: res.statusCode, body };
    }

    /** After an accepted write, waits for every load balancer to leave PENDING_*, so the next request meets no lock. */
    async function settle(): Promise<void> {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const rows = await app.rt.database.db.selectFrom('load_balancer').select('provisioning_status').execute();
        if (rows.every((r) => !r.provisioning_status.startsWith('PENDING'))) return;
        if (Date.now() > deadline) assert.fail('load balancers stayed PENDING');
        await new Promise((r) => setTimeout(r, 20));
      }
    }

    function fill(url: string, override?: { index: number; value: string }): string {
      const segments = url.split('/');
      return segments
        .map((seg, i) => {
          if (!seg.startsWith(':')) return seg;
          if (override?.index === i) return encodeURIComponent(override.value);
          const value = ids[`${segments[i - 1]}/${seg}`];
          assert.ok(value !== undefined, `api-bad-input has no fixture for ${segments[i - 1]}/${seg} in ${url}: add one`);
          return encodeURIComponent(value);
        })
        .join('/');
    }

    const count = async (table: Table) =>
      Number((await app.rt.database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

    async function unchanged(tables: Table[], action: () => Promise<void>): Promise<void> {
      const before = await Promise.all(tables.map(count));
      await action();
      await settle();
      assert.deepEqual(await Promise.all(tables.map(count)), before, `rows written in ${tables.join(', ')}`);
    }

    async function create(path: string, wrapper: string, body: unknown): Promise<string> {
      const res = await app.request('POST', path, body);
      assert.ok(res.status === 201 || res.status === 202, `${path}: ${res.status} ${JSON.stringify(res.body)}`);
      await settle();
      return res.body[wrapper].id ?? res.body[wrapper].name;
    }

    before(async () => {
      app = await startTestApp(backend);
      const lb = (await createActiveLoadBalancer(app, { name: 'bad-input' })).id;
      const listener = await create('/v2/lbaas/listeners', 'listener', { listener: { loadbalancer_id: lb, protocol: 'HTTP', protocol_port: 80 } });
      const pool = await create('/v2/lbaas/pools', 'pool', { pool: { listener_id: listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
      const member = await create(`/v2/lbaas/pools/${pool}/members`, 'member', { member: { address: '192.0.2.10', protocol_port: 80 } });
      const hm = await create('/v2/lbaas/healthmonitors', 'healthmonitor', { healthmonitor: { pool_id: pool, type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 } });
      const l7 = await create('/v2/lbaas/l7policies', 'l7policy', { l7policy: { listener_id: listener, action: 'REJECT' } });
      const rule = await create(`/v2/lbaas/l7policies/${l7}/rules`, 'rule', { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' } });
      const fp = await create('/v2/lbaas/flavorprofiles', 'flavorprofile', { flavorprofile: { name: 'bi', provider_name: 'noop', flavor_data: '{}' } });
      const flavor = await create('/v2/lbaas/flavors', 'flavor', { flavor: { name: 'bi', flavor_profile_id: fp } });
      const azp = await create('/v2/lbaas/availabilityzoneprofiles', 'availability_zone_profile', {
        availability_zone_profile: { name: 'bi', provider_name: 'noop', availability_zone_data: '{}' },
      });
      const az = await create('/v2/lbaas/availabilityzones', 'availability_zone', { availability_zone: { name: 'bi-az', availability_zone_profile_id: azp } });
      const network = await create('/v2/fulcrum/networks', 'network', { network: { name: 'bi-net' } });
      const subnet = await create('/v2/fulcrum/subnets', 'subnet', { subnet: { network_id: network, cidr: '10.252.0.0/24' } });
      const pair = await serverCert(await makeCa('bad-input-ca'), 'bad-input.example');
      const cert = await create('/v2/fulcrum/certificates', 'certificate', { certificate: { type: 'certificate', certificate: pair.certPem, private_key: pair.keyPem } });
      const job = await app.rt.database.db.selectFrom('job').select('id').executeTakeFirstOrThrow();
      const webhook = await create('/v2/fulcrum/webhooks', 'webhook', { webhook: { url: 'http://127.0.0.1:9/hook', secret: 'bad-input-secret-0123456789' } });
      const event = await recordEventNow(app.rt.database.db, { type: 'quota.reached', projectId: 'bad-input', loadBalancerId: lb, detail: {} });
      const host = randomUUID();
      await app.rt.database.db.insertInto('host').values({ id: host, name: 'bi-host', address: '192.0.2.10', port: 9443 }).execute();
      ids = {
        'loadbalancers/:id': lb,
        'listeners/:id': listener,
        'pools/:id': pool,
        'pools/:pool_id': pool,
        'members/:id': member,
        'healthmonitors/:id': hm,
        'l7policies/:id': l7,
        'l7policies/:l7policy_id': l7,
        'rules/:id': rule,
        // Not the fixtures' own project: the battery sets this quota to every value, 0 included.
        'quotas/:project_id': 'project-quota-battery',
        'providers/:provider': 'noop',
        'flavors/:id': flavor,
        'flavorprofiles/:id': fp,
        'availabilityzones/:name': az,
        'availabilityzoneprofiles/:id': azp,
        'networks/:id': network,
        'subnets/:id': subnet,
        'certificates/:id': cert,
        'jobs/:id': String(job.id),
        'amphorae/:id': FAKE_UUID,
        'drills/:drill_id': FAKE_UUID,
        'webhooks/:id': webhook,
        'events/:id': event!,
        'hosts/:id': host,
      };
      // Valid bodies, each mutated one field at a time. The LB body is a whole tree (single-call
      // create with additional VIPs), so the nested objects' fields are attacked too.
      let port = 1000;
      bases = {
        'POST /v2/lbaas/loadbalancers': () => ({
          loadbalancer: {
            vip_subnet_id: SUBNET,
            name: 'tree',
            listeners: [
              {
                protocol: 'HTTP',
                protocol_port: 80,
                default_pool: { name: 'p1' },
                l7policies: [{ action: 'REDIRECT_TO_POOL', redirect_pool: { name: 'p2' }, rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/x' }] }],
              },
            ],
            pools: [
              {
                name: 'p1',
                protocol: 'HTTP',
                lb_algorithm: 'ROUND_ROBIN',
                members: [{ address: '192.0.2.20', protocol_port: 80 }],
                healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 },
              },
              { name: 'p2', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' },
            ],
          },
        }),
        'PUT /v2/lbaas/loadbalancers/:id': () => ({ loadbalancer: { name: 'n' } }),
        'POST /v2/lbaas/listeners': () => ({ listener: { loadbalancer_id: lb, protocol: 'TCP', protocol_port: ++port } }),
        'PUT /v2/lbaas/listeners/:id': () => ({ listener: { name: 'n' } }),
        'POST /v2/lbaas/pools': () => ({ pool: { loadbalancer_id: lb, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' } }),
        'PUT /v2/lbaas/pools/:id': () => ({ pool: { name: 'n' } }),
        'POST /v2/lbaas/pools/:pool_id/members': () => ({ member: { address: '192.0.2.30', protocol_port: ++port } }),
        'PUT /v2/lbaas/pools/:pool_id/members': () => ({ members: [{ address: '192.0.2.10', protocol_port: 80 }] }),
        'PUT /v2/lbaas/pools/:pool_id/members/:id': () => ({ member: { name: 'n' } }),
        'POST /v2/lbaas/healthmonitors': () => ({ healthmonitor: { pool_id: pool, type: 'TCP', delay: 5, timeout: 3, max_retries: 3 } }),
        'PUT /v2/lbaas/healthmonitors/:id': () => ({ healthmonitor: { name: 'n' } }),
        'POST /v2/lbaas/l7policies': () => ({ l7policy: { listener_id: listener, action: 'REDIRECT_TO_URL', redirect_url: 'http://example.com/' } }),
        'PUT /v2/lbaas/l7policies/:id': () => ({ l7policy: { name: 'n' } }),
        'POST /v2/lbaas/l7policies/:l7policy_id/rules': () => ({ rule: { type: 'HEADER', compare_type: 'REGEX', key: 'X-A', value: '^a+$' } }),
        'PUT /v2/lbaas/l7policies/:l7policy_id/rules/:id': () => ({ rule: { value: '/b' } }),
        'PUT /v2/lbaas/quotas/:project_id': () => ({ quota: { loadbalancer: 100, listener: 100 } }),
        'POST /v2/lbaas/flavors': () => ({ flavor: { name: `f${++port}`, flavor_profile_id: fp } }),
        'PUT /v2/lbaas/flavors/:id': () => ({ flavor: { description: 'd' } }),
        'POST /v2/lbaas/flavorprofiles': () => ({ flavorprofile: { name: 'fp', provider_name: 'noop', flavor_data: '{}' } }),
        'PUT /v2/lbaas/flavorprofiles/:id': () => ({ flavorprofile: { name: 'fp' } }),
        'POST /v2/lbaas/availabilityzones': () => ({ availability_zone: { name: `az${++port}`, availability_zone_profile_id: azp } }),
        'PUT /v2/lbaas/availabilityzones/:name': () => ({ availability_zone: { description: 'd' } }),
        'POST /v2/lbaas/availabilityzoneprofiles': () => ({ availability_zone_profile: { name: 'azp', provider_name: 'noop', availability_zone_data: '{}' } }),
        'PUT /v2/lbaas/availabilityzoneprofiles/:id': () => ({ availability_zone_profile: { name: 'azp' } }),
        'POST /v2/fulcrum/networks': () => ({ network: { name: 'net' } }),
        'POST /v2/fulcrum/subnets': () => ({ subnet: { network_id: network, cidr: `10.253.${++port % 250}.0/24` } }),
        'POST /v2/fulcrum/certificates': () => ({ certificate: { type: 'certificate', certificate: pair.certPem, private_key: pair.keyPem } }),
        'POST /v2/fulcrum/health/circuit-breakers/reset': () => ({ circuit_breaker: { domain: 'fleet' } }),
        'POST /v2/fulcrum/webhooks': () => ({ webhook: { url: 'http://127.0.0.1:9/hook', secret: 'bad-input-secret-0123456789', event_types: ['member.error'] } }),
        'PUT /v2/fulcrum/listeners/:id/protection': () => ({ protection: { burst: 1, concurrent_connections_per_source: 100 } }),
        'PUT /v2/fulcrum/hosts/:id': () => ({ host: { capacity: 10 } }),
        'POST /v2/fulcrum/hosts/join-tokens': () => ({ join_token: { ttl_seconds: 60 } }),
        'POST /v2/fulcrum/hosts/join': () => ({ join: { token: 'not-a-token', csr: 'not a csr', name: 'bi-host-2', address: '192.0.2.11', port: 9443 } }),
        'POST /v2/fulcrum/loadbalancers/:id/migrate': () => ({ host_id: host }),
      };
    });
    after(async () => {
      await app?.close();
    });

    it('answers hostile path ids on every route with a 4xx fault, never a 500', async () => {
      const routes = app.api.routeTable.filter((r) => r.url.includes('/:'));
      assert.ok(routes.length >= 50, `only ${routes.length} routes with path parameters`);
      for (const route of routes) {
        const segments = route.url.split('/');
        for (let index = 0; index < segments.length; index++) {
          if (!segments[index].startsWith(':')) continue;
          for (const junk of JUNK_IDS) {
            const base = (bases[`${route.method} ${route.url}`] as (() => unknown) | undefined)?.();
            await send(route.method, fill(route.url, { index, value: junk }), ['PUT', 'POST'].includes(route.method) ? toJson(base ?? {}) : undefined);
          }
        }
      }
      assertNoProblems();
    });

    it('answers URLs the router cannot decode with a 4xx fault', async () => {
      for (const path of ['/v2/lbaas/loadbalancers/%zz', '/v2/lbaas/loadbalancers/%ED%A0%80', '/v2/lbaas/loadbalancers/%', `/v2/lbaas/pools/${ids['pools/:id']}/members/%E0%A4%A`]) {
        for (const method of ['GET', 'PUT', 'DELETE']) await send(method, path, method === 'PUT' ? '{}' : undefined);
      }
      assertNoProblems();
    });

    it('answers malformed list queries with a 4xx fault or a list, never a 500', async () => {
      const routes = app.api.routeTable.filter((r) => r.method === 'GET');
      for (const route of routes) for (const q of BAD_QUERIES) await send('GET', `${fill(route.url)}?${q}`);
      assertNoProblems();
    });

    it('answers bodies of the wrong shape on every write route with a 4xx fault', async () => {
      const schemas = bodySchemas(app);
      const routes = app.api.routeTable.filter((r) => r.method === 'PUT' || r.method === 'POST');
      assert.ok(routes.length >= 25, `only ${routes.length} write routes`);
      for (const route of routes) {
        const schema = schemas.get(`${route.method} ${route.url}`);
        const wrapper = schema ? Object.keys(schema.properties ?? {})[0] ?? null : null;
        const url = fill(route.url);
        for (const text of bodyShapes(wrapper)) await send(route.method, url, text);
        await send(route.method, url, '{}', 'text/plain');
        await send(route.method, url, '<xml/>', 'application/xml');
      }
      assertNoProblems();
    });

    it('answers a wrong value in any field of any write route with a 4xx fault', async () => {
      const schemas = bodySchemas(app);
      const routes = app.api.routeTable.filter((r) => schemas.has(`${r.method} ${r.url}`));
      const missing = routes.map((r) => `${r.method} ${r.url}`).filter((k) => !bases[k]);
      assert.deepEqual(missing, [], 'api-bad-input needs a valid base body for these routes');
      const before = requests;
      for (const route of routes) {
        const key = `${route.method} ${route.url}`;
        const url = fill(route.url);
        const base = (bases[key] as () => unknown)();
        for (const m of fieldMutations(base, schemas.get(key))) {
          const found = problems.length;
          await send(route.method, url, toJson(m.body));
          if (problems.length > found) problems[found] += ` (field ${m.path})`;
        }
      }
      assertNoProblems();
      assert.ok(requests - before > 3000, `only ${requests - before} requests sent`);
    });

    /** Sends each request, expecting its fault status for every one and no row written anywhere in `tables`. */
    async function refused(tables: Table[], requests: Refusal[]): Promise<void> {
      await unchanged(tables, async () => {
        for (const [method, url, body, status] of requests) {
          const res = await send(method, url, typeof body === 'string' ? body : toJson(body));
          assert.equal(res.status, status, `${method} ${url} ${toJson(body).slice(0, 200)}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
        }
      });
      assertNoProblems();
    }

    it('refuses flavors and zones whose profile is missing or whose data is not a JSON object', async () => {
      await refused(['flavor', 'flavor_profile', 'availability_zone', 'availability_zone_profile'], [
        ['POST', '/v2/lbaas/flavors', { flavor: { name: 'ghost', flavor_profile_id: FAKE_UUID } }, 400],
        ['POST', '/v2/lbaas/flavors', { flavor: { name: 'ghost', flavor_profile_id: 'not-a-uuid' } }, 400],
        ['POST', '/v2/lbaas/flavors', { flavor: { name: 'bi', flavor_profile_id: ids['flavorprofiles/:id'] } }, 409],
        ['POST', '/v2/lbaas/availabilityzones', { availability_zone: { name: 'ghost', availability_zone_profile_id: FAKE_UUID } }, 400],
        ['POST', '/v2/lbaas/availabilityzones', { availability_zone: { name: 'bi-az', availability_zone_profile_id: ids['availabilityzoneprofiles/:id'] } }, 409],
        // Profiles in use cannot be modified at all: 409 before their data is read.
        ['PUT', `/v2/lbaas/flavorprofiles/${ids['flavorprofiles/:id']}`, { flavorprofile: { flavor_data: 'not json' } }, 409],
        ['PUT', `/v2/lbaas/availabilityzoneprofiles/${ids['availabilityzoneprofiles/:id']}`, { availability_zone_profile: { availability_zone_data: '[1' } }, 409],
        ...['not json', '[]', '"s"', '1', 'null', '{"a":', '{"compute_flavor":' + '['.repeat(3000) + ']'.repeat(3000) + '}'].flatMap(
          (data): Refusal[] => [
            ['POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'bad', provider_name: 'noop', flavor_data: data } }, 400],
            ['POST', '/v2/lbaas/availabilityzoneprofiles', { availability_zone_profile: { name: 'bad', provider_name: 'noop', availability_zone_data: data } }, 400],
          ],
        ),
        ['POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'bad', provider_name: 'no-such-provider', flavor_data: '{}' } }, 400],
        ['POST', '/v2/lbaas/availabilityzoneprofiles', { availability_zone_profile: { name: 'bad', provider_name: 'no-such-provider', availability_zone_data: '{}' } }, 400],
      ]);
    });

    it('refuses quota updates for project ids no project can have, writing nothing', async () => {
      const odd = ['x'.repeat(300), 'a\u0000b', '\u0000', 'p'.repeat(2000)];
      await refused(['quota'], odd.map((p): Refusal => ['PUT', `/v2/lbaas/quotas/${encodeURIComponent(p)}`, { quota: { loadbalancer: 5 } }, 400]));
      // Odd but storable ids are a project's name like any other: never a 500, and read back as written.
      for (const p of ['ü☃𝄞', "o'brien", 'a b', 'a/b', '%', '__proto__']) {
        const url = `/v2/lbaas/quotas/${encodeURIComponent(p)}`;
        const res = await send('PUT', url, toJson({ quota: { loadbalancer: 5 } }));
        assert.equal(res.status, 202, `${p}: ${JSON.stringify(res.body)}`);
        const back = await send('GET', url);
        assert.equal(back.body.quota.load_balancer ?? back.body.quota.loadbalancer, 5, `${p}: ${JSON.stringify(back.body)}`);
        assert.equal((await send('DELETE', url)).status, 202);
      }
      assertNoProblems();
    });

    it('refuses certificates that are not PEM or PKCS12, writing nothing', async () => {
      const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
      await refused(['certificate'], [
        { type: 'certificate', certificate: 'garbage', private_key: 'garbage' },
        { type: 'certificate', certificate: pem('CERTIFICATE', 'AAAA'), private_key: pem('PRIVATE KEY', 'AAAA') },
        { type: 'certificate', certificate: pem('CERTIFICATE', '!!!!'), private_key: pem('RSA PRIVATE KEY', 'A'.repeat(4000)) },
        { type: 'certificate', pkcs12: 'AAAA' },
        { type: 'certificate', pkcs12: Buffer.from('not a pkcs12 bundle').toString('base64') },
        { type: 'certificate', pkcs12: Buffer.from([0x30, 0x82, 0xff, 0xff, 0x02, 0x01, 0x03]).toString('base64'), passphrase: 'x' },
        { type: 'certificate', pkcs12: '====' },
        { type: 'ca', ca: 'garbage' },
        { type: 'ca', ca: pem('CERTIFICATE', 'MIIB') },
        { type: 'crl', crl: 'garbage' },
        { type: 'crl', crl: pem('X509 CRL', 'MIIB') },
        { type: 'crl' },
        { type: 'ca' },
      ].map((certificate): Refusal => ['POST', '/v2/fulcrum/certificates', { certificate }, 400]));
    });

    it('refuses L7 rules with invalid regular expressions or arguments, writing nothing', async () => {
      const rules = `/v2/lbaas/l7policies/${ids['l7policies/:id']}/rules`;
      const rule = `${rules}/${ids['rules/:id']}`;
      await refused(['l7rule', 'l7policy'], [
        ...['(', '[a-', '(?<x', '*', 'a{2,1}', '\\', 'a\nb'].map((value): Refusal => ['POST', rules, { rule: { type: 'PATH', compare_type: 'REGEX', value } }, 400]),
        ['PUT', rule, { rule: { compare_type: 'REGEX', value: '(' } }, 400],
        ['POST', rules, { rule: { type: 'HEADER', compare_type: 'EQUAL_TO', value: 'a' } }, 400],
        ['POST', rules, { rule: { type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'bad key', value: 'a' } }, 400],
        ['POST', rules, { rule: { type: 'FILE_TYPE', compare_type: 'STARTS_WITH', value: 'jpg' } }, 400],
        ['POST', rules, { rule: { type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: '1bad', value: 'a' } }, 400],
        ['POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: ids['listeners/:id'], action: 'REDIRECT_TO_POOL', redirect_pool_id: FAKE_UUID } }, 404],
        ['POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: ids['listeners/:id'], action: 'REDIRECT_TO_URL', redirect_url: 'not a url' } }, 400],
        ['POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: ids['listeners/:id'], action: 'REDIRECT_PREFIX' } }, 400],
      ]);
    });

    it('refuses single-call trees with duplicate, missing or doubly defined pools, writing nothing', async () => {
      const pool = (name: string) => ({ name, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' });
      const lb = (tree: Record<string, unknown>) => ({ loadbalancer: { vip_subnet_id: SUBNET, ...tree } });
      const http = (extra: Record<string, unknown>) => ({ protocol: 'HTTP', protocol_port: 80, ...extra });
      await refused(['load_balancer', 'listener', 'pool', 'member', 'health_monitor', 'l7policy', 'l7rule', 'ip_allocation'], [
        [lb({ pools: [pool('p'), pool('p')] }), 400],
        [lb({ listeners: [http({ default_pool: { name: 'ghost' } })] }), 400],
        [lb({ listeners: [http({ default_pool: pool('p') })], pools: [pool('p')] }), 400],
        [lb({ listeners: [http({ default_pool: { name: 'p' }, l7policies: [{ action: 'REDIRECT_TO_POOL', redirect_pool: { name: 'q' } }] })], pools: [pool('p')] }), 400],
        [lb({ listeners: [http({ default_pool: { name: 'p' } }), http({ default_pool: { name: 'p' } })], pools: [pool('p')] }), 409],
        // A pool of another load balancer is not found from this one.
        [lb({ listeners: [http({ default_pool_id: ids['pools/:id'] })] }), 404],
        [lb({ listeners: [http({ default_pool: { name: 'p' } })], pools: [{ ...pool('p'), protocol: 'UDP' }] }), 400],
        [lb({ pools: [{ ...pool('p'), members: [{ address: '192.0.2.1', protocol_port: 80 }, { address: '192.0.2.1', protocol_port: 80 }] }] }), 409],
        [lb({ listeners: [http({ l7policies: [{ action: 'REJECT', rules: [{ type: 'PATH', compare_type: 'REGEX', value: '(' }] }] })] }), 400],
        [lb({ pools: [{ name: 'p' }] }), 400],
        [lb({ additional_vips: [{ subnet_id: SUBNET }] }), 400],
        [lb({ flavor_id: FAKE_UUID }), 400],
        [lb({ availability_zone: 'no-such-zone' }), 400],
      ].map(([body, status]): Refusal => ['POST', '/v2/lbaas/loadbalancers', body, status as number]));
      // The control: the same tree made right is accepted, so the refusals above were for their defects.
      const res = await send('POST', '/v2/lbaas/loadbalancers', toJson(lb({ listeners: [http({ default_pool: { name: 'p' } })], pools: [pool('p')] })));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assertNoProblems();
    });

    it('refuses member batch updates with duplicates, writing nothing', async () => {
      const members = `/v2/lbaas/pools/${ids['pools/:id']}/members`;
      await refused(['member'], [
        ['PUT', members, { members: [{ address: '192.0.2.40', protocol_port: 80 }, { address: '192.0.2.40', protocol_port: 80 }] }, 400],
        ['POST', members, { member: { address: '192.0.2.10', protocol_port: 80 } }, 409],
      ]);
    });

    it('still serves every fixture afterwards', async () => {
      // Members are left out: a valid batch update (`{"members": []}`) rightly replaces them.
      const routes = app.api.routeTable.filter((r) => r.method === 'GET' && r.url.includes('/:') && !r.url.includes('amphorae') && !r.url.includes('/members/') && !r.url.includes('/drills/'));
      for (const route of routes) {
        const res = await app.request('GET', fill(route.url));
        assert.equal(res.status, 200, `${route.url}: ${JSON.stringify(res.body)}`);
      }
    });
  });
}
