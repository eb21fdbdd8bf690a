// Requests that carry `Content-Type: application/json` and an empty body, as OpenStack clients
// send on every DELETE: over a real socket (node:http, so the framing — `Content-Length: 0` or
// an empty chunked body — is what a client puts on the wire), on every route of the live route
// table. Routes that take no body answer exactly as without the header; routes that take a
// body refuse the empty one with Octavia's 400.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { startTestApp, createActiveLoadBalancer, type TestApp } from '../helpers/app.ts';
import { makeCa, serverCert } from '../helpers/tls-pki.ts';
import { recordEventNow } from '../../src/observability/events.ts';

const INVALID_JSON = 'Request is not in valid JSON format';

type Framing = 'none' | 'content-length-0' | 'chunked-empty';
const EMPTY_FRAMINGS: Framing[] = ['content-length-0', 'chunked-empty'];

interface Answer {
  status: number;
  body: any;
}

describe('API: empty bodies with a JSON content type, over HTTP', () => {
  let app: TestApp;
  let port: number;
  let ids: Record<string, string>;
  /** Routes whose OpenAPI operation declares a JSON request body. */
  let withBody: Set<string>;

  /** One request on its own connection; `framing` says how the empty body is sent. */
  function send(method: string, path: string, framing: Framing): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'x-project-id': 'project-bodyless' };
      if (framing !== 'none') headers['content-type'] = 'application/json';
      if (framing === 'content-length-0') headers['content-length'] = '0';
      if (framing === 'chunked-empty') headers['transfer-encoding'] = 'chunked';
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let body: any = null;
          try {
            body = text.length ? JSON.parse(text) : null;
          } catch {
            body = text;
          }
          resolve({ status: res.statusCode!, body });
        });
      });
      req.on('error', reject);
      // Node writes the terminating `0\r\n\r\n` of a chunked body on end(): an empty chunked body.
      req.end();
    });
  }

  function fill(url: string, values: Record<string, string>): string {
    const segments = url.split('/');
    return segments
      .map((seg, i) => {
        if (!seg.startsWith(':')) return seg;
        const value = values[`${segments[i - 1]}/${seg}`];
        assert.ok(value !== undefined, `api-bodyless-json has no fixture for ${segments[i - 1]}/${seg} in ${url}: add one`);
        return encodeURIComponent(value);
      })
      .join('/');
  }

  async function create(path: string, wrapper: string, body: unknown): Promise<string> {
    const res = await app.request('POST', path, body);
    assert.ok(res.status === 201 || res.status === 202, `${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body[wrapper].id ?? res.body[wrapper].name;
  }

  async function settle(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const rows = await app.rt.database.db.selectFrom('load_balancer').select('provisioning_status').execute();
      if (rows.every((r) => !r.provisioning_status.startsWith('PENDING'))) return;
      if (Date.now() > deadline) assert.fail('load balancers stayed PENDING');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** What differs between the answer without a content type and one with an empty JSON body. */
  function differences(label: string, reference: Answer, answer: Answer): string[] {
    const out: string[] = [];
    if (answer.status === 400 && answer.body?.faultstring === INVALID_JSON) out.push(`${label}: refused as invalid JSON`);
    if (answer.status !== reference.status) out.push(`${label}: ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 160)}, without the header ${reference.status}`);
    else if (answer.status >= 400 && answer.body?.faultstring !== reference.body?.faultstring) {
      out.push(`${label}: fault ${JSON.stringify(answer.body?.faultstring)}, without the header ${JSON.stringify(reference.body?.faultstring)}`);
    }
    return out;
  }

  before(async () => {
    app = await startTestApp('pglite');
    await app.api.listen({ host: '127.0.0.1', port: 0 });
    port = (app.api.server.address() as { port: number }).port;
    const doc = (app.api as unknown as { swagger(): any }).swagger();
    withBody = new Set();
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        if (op.requestBody?.content?.['application/json']) withBody.add(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`);
      }
    }
    const headers = { 'x-project-id': 'project-bodyless' };
    const post = async (path: string, wrapper: string, body: unknown) => {
      const res = await app.request('POST', path, body, headers);
      assert.ok(res.status === 201 || res.status === 202, `${path}: ${res.status} ${JSON.stringify(res.body)}`);
      await settle();
      return res.body[wrapper].id as string;
    };
    const lb = (await createActiveLoadBalancer(app, { project_id: 'project-bodyless' })).id;
    const listener = await post('/v2/lbaas/listeners', 'listener', { listener: { loadbalancer_id: lb, protocol: 'HTTP', protocol_port: 80 } });
    const pool = await post('/v2/lbaas/pools', 'pool', { pool: { listener_id: listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    const member = await post(`/v2/lbaas/pools/${pool}/members`, 'member', { member: { address: '192.0.2.10', protocol_port: 80 } });
    const hm = await post('/v2/lbaas/healthmonitors', 'healthmonitor', { healthmonitor: { pool_id: pool, type: 'TCP', delay: 5, timeout: 3, max_retries: 3 } });
    const l7 = await post('/v2/lbaas/l7policies', 'l7policy', { l7policy: { listener_id: listener, action: 'REJECT' } });
    const rule = await post(`/v2/lbaas/l7policies/${l7}/rules`, 'rule', { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' } });
    const fp = await create('/v2/lbaas/flavorprofiles', 'flavorprofile', { flavorprofile: { name: 'bl', provider_name: 'noop', flavor_data: '{}' } });
    const flavor = await create('/v2/lbaas/flavors', 'flavor', { flavor: { name: 'bl', flavor_profile_id: fp } });
    const azp = await create('/v2/lbaas/availabilityzoneprofiles', 'availability_zone_profile', {
      availability_zone_profile: { name: 'bl', provider_name: 'noop', availability_zone_data: '{}' },
    });
    const az = await create('/v2/lbaas/availabilityzones', 'availability_zone', { availability_zone: { name: 'bl-az', availability_zone_profile_id: azp } });
    const network = await create('/v2/fulcrum/networks', 'network', { network: { name: 'bl-net' } });
    const subnet = await create('/v2/fulcrum/subnets', 'subnet', { subnet: { network_id: network, cidr: '10.254.7.0/24' } });
    const pair = await serverCert(await makeCa('bodyless-ca'), 'bodyless.example');
    const cert = await create('/v2/fulcrum/certificates', 'certificate', { certificate: { type: 'certificate', certificate: pair.certPem, private_key: pair.keyPem } });
    const job = await app.rt.database.db.selectFrom('job').select('id').executeTakeFirstOrThrow();
    const webhook = await create('/v2/fulcrum/webhooks', 'webhook', { webhook: { url: 'http://127.0.0.1:9/hook', secret: 'bodyless-secret-0123456789' } });
    const event = await recordEventNow(app.rt.database.db, { type: 'quota.reached', projectId: 'project-bodyless', loadBalancerId: lb, detail: {} });
    const host = randomUUID();
    await app.rt.database.db.insertInto('host').values({ id: host, name: 'bodyless-host', address: '192.0.2.10', port: 9443 }).execute();
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
      'quotas/:project_id': 'project-bodyless',
      'providers/:provider': 'noop',
      'flavors/:id': flavor,
      'flavorprofiles/:id': fp,
      'availabilityzones/:name': az,
      'availabilityzoneprofiles/:id': azp,
      'networks/:id': network,
      'subnets/:id': subnet,
      'certificates/:id': cert,
      'jobs/:id': String(job.id),
      'amphorae/:id': randomUUID(),
      // A drill needs an amphora load balancer; these fixtures are the noop provider's.
      'drills/:drill_id': randomUUID(),
      'webhooks/:id': webhook,
      'events/:id': event!,
      'hosts/:id': host,
    };
  });
  after(async () => {
    await app?.close();
  });

  it('serves every bodyless GET with an empty JSON body as without one', async () => {
    const routes = app.api.routeTable.filter((r) => r.method === 'GET');
    assert.ok(routes.length >= 45, `only ${routes.length} GET routes`);
    const problems: string[] = [];
    for (const route of routes) {
      const path = fill(route.url, ids);
      const reference = await send('GET', path, 'none');
      if (route.url.includes('/:') && !route.url.includes('amphorae') && !route.url.includes('/drills/')) assert.equal(reference.status, 200, `fixture for GET ${route.url}: ${JSON.stringify(reference.body)}`);
      for (const framing of EMPTY_FRAMINGS) problems.push(...differences(`GET ${route.url} (${framing})`, reference, await send('GET', path, framing)));
    }
    assert.deepEqual(problems, []);
  });

  it('reaches the handler of every bodyless DELETE and PUT with an empty JSON body (objects that do not exist)', async () => {
    const routes = app.api.routeTable.filter((r) => r.method !== 'GET' && !withBody.has(`${r.method} ${r.url}`));
    const deletes = routes.filter((r) => r.method === 'DELETE');
    assert.ok(deletes.length >= 15, `only ${deletes.length} DELETE routes`);
    assert.ok(routes.some((r) => r.method === 'PUT' && r.url.endsWith('/failover')), 'the failover PUTs take no body');
    // Ids of nothing: each request is judged by its handler (404, or 204 for a quota reset),
    // and no fixture is changed.
    const missing: Record<string, string> = Object.fromEntries(Object.entries(ids).map(([k]) => [k, randomUUID()]));
    missing['providers/:provider'] = 'noop';
    missing['jobs/:id'] = '999999999';
    const problems: string[] = [];
    for (const route of routes) {
      const path = fill(route.url, missing);
      const reference = await send(route.method, path, 'none');
      assert.notEqual(reference.status, 400, `${route.method} ${route.url} without a body: ${JSON.stringify(reference.body)}`);
      for (const framing of EMPTY_FRAMINGS) problems.push(...differences(`${route.method} ${route.url} (${framing})`, reference, await send(route.method, path, framing)));
    }
    assert.deepEqual(problems, []);
  });

  it('refuses an empty JSON body on every route that takes a body, with the 400 fault', async () => {
    const routes = app.api.routeTable.filter((r) => withBody.has(`${r.method} ${r.url}`));
    assert.ok(routes.length >= 25, `only ${routes.length} routes with a body`);
    assert.ok(routes.every((r) => r.method === 'POST' || r.method === 'PUT'));
    const problems: string[] = [];
    for (const route of routes) {
      for (const framing of EMPTY_FRAMINGS) {
        const res = await send(route.method, fill(route.url, ids), framing);
        if (res.status !== 400 || res.body?.faultstring !== INVALID_JSON || res.body?.faultcode !== 'Client') {
          problems.push(`${route.method} ${route.url} (${framing}): ${res.status} ${JSON.stringify(res.body)?.slice(0, 160)}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it("cleans up a whole tree as a client does: failover and every DELETE with an empty JSON body", async () => {
    const lbPath = `/v2/lbaas/loadbalancers/${ids['loadbalancers/:id']}`;
    let framing = 0;
    const next = () => EMPTY_FRAMINGS[framing++ % EMPTY_FRAMINGS.length];
    const failover = await send('PUT', `${lbPath}/failover`, next());
    assert.equal(failover.status, 202, JSON.stringify(failover.body));
    await settle();
    const steps = [
      `/v2/lbaas/l7policies/${ids['l7policies/:id']}/rules/${ids['rules/:id']}`,
      `/v2/lbaas/l7policies/${ids['l7policies/:id']}`,
      `/v2/lbaas/healthmonitors/${ids['healthmonitors/:id']}`,
      `/v2/lbaas/pools/${ids['pools/:id']}/members/${ids['members/:id']}`,
      `/v2/lbaas/pools/${ids['pools/:id']}`,
      `/v2/lbaas/listeners/${ids['listeners/:id']}`,
      lbPath,
      `/v2/lbaas/quotas/project-bodyless`,
      `/v2/fulcrum/certificates/${ids['certificates/:id']}`,
      `/v2/lbaas/availabilityzones/${ids['availabilityzones/:name']}`,
      `/v2/lbaas/availabilityzoneprofiles/${ids['availabilityzoneprofiles/:id']}`,
      `/v2/lbaas/flavors/${ids['flavors/:id']}`,
      `/v2/lbaas/flavorprofiles/${ids['flavorprofiles/:id']}`,
      `/v2/fulcrum/subnets/${ids['subnets/:id']}`,
      `/v2/fulcrum/networks/${ids['networks/:id']}`,
    ];
    for (const path of steps) {
      const res = await send('DELETE', path, next());
      assert.ok(res.status === 202 || res.status === 204, `DELETE ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      await settle();
      if (path === `/v2/lbaas/quotas/project-bodyless`) continue;
      const after = await send('GET', path, 'none');
      assert.ok(after.status === 404 || after.body?.[Object.keys(after.body)[0]]?.provisioning_status === 'DELETED', `GET ${path} after DELETE: ${after.status}`);
    }
  });
});
