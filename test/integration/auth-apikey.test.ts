// The apikey strategy end to end: 401s with keystonemiddleware's body, keys in either header,
// the key's project and roles judged by the default policy, revocation, and a policy file.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { BACKENDS } from '../helpers/db.ts';
import { startTestApp, SUBNET, type TestApp } from '../helpers/app.ts';
import { createApiKey, hashApiKey, revokeApiKey } from '../../src/auth/apikey-store.ts';

const UNAUTHORIZED = { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } };
const FORBIDDEN = 'Policy does not allow this request to be performed.';

async function key(app: TestApp, projectId: string, roles: string[]): Promise<string> {
  return (await createApiKey(app.rt.database.db, { projectId, roles, name: roles.join('+') })).key;
}

function as(app: TestApp, token: string | null) {
  return (method: string, path: string, body?: unknown) => app.request(method, path, body, token === null ? {} : { 'x-auth-token': token });
}

for (const backend of BACKENDS) {
  describe(`apikey authentication (${backend})`, () => {
    let app: TestApp;
    const keys: Record<string, string> = {};
    let lbP: string;
    let lbQ: string;

    before(async () => {
      app = await startTestApp(backend, { config: { authStrategy: 'apikey' } });
      keys.memberP = await key(app, 'project-p', ['load-balancer_member']);
      keys.readerP = await key(app, 'project-p', ['load-balancer_observer']);
      keys.plainMemberP = await key(app, 'project-p', ['member']);
      keys.plainReaderP = await key(app, 'project-p', ['reader']);
      keys.memberQ = await key(app, 'project-q', ['load-balancer_member']);
      keys.global = await key(app, 'project-g', ['load-balancer_global_observer']);
      keys.admin = await key(app, 'project-admin', ['admin']);
      const p = await as(app, keys.memberP)('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
      assert.equal(p.status, 201, JSON.stringify(p.body));
      lbP = p.body.loadbalancer.id;
      const q = await as(app, keys.memberQ)('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
      lbQ = q.body.loadbalancer.id;
    });
    after(async () => {
      await app?.close();
    });

    it('refuses requests without valid credentials with 401 and the Keystone body', async () => {
      for (const headers of [{}, { 'x-auth-token': 'fulcrum_not-a-key' }, { authorization: 'Bearer fulcrum_not-a-key' }, { authorization: `Basic ${keys.admin}` }]) {
        const res = await app.api.inject({ method: 'GET', url: '/v2/lbaas/loadbalancers', headers });
        assert.equal(res.statusCode, 401, JSON.stringify(headers));
        assert.deepEqual(res.json(), UNAUTHORIZED);
        assert.match(String(res.headers['www-authenticate']), /^Bearer/);
      }
      // Before the body is looked at, as keystonemiddleware sits in front of the API.
      const bad = await app.api.inject({ method: 'POST', url: '/v2/lbaas/loadbalancers', payload: '{not json', headers: { 'content-type': 'application/json' } });
      assert.equal(bad.statusCode, 401);
      const mgmt = await app.api.inject({ method: 'GET', url: '/v2/fulcrum/jobs' });
      assert.equal(mgmt.statusCode, 401);
    });

    it('keeps the version documents public', async () => {
      assert.equal((await app.api.inject({ method: 'GET', url: '/' })).statusCode, 200);
      assert.equal((await app.api.inject({ method: 'GET', url: '/v2' })).statusCode, 200);
      assert.equal((await app.api.inject({ method: 'GET', url: '/load-balancer/v2.0' })).statusCode, 200);
    });

    it('accepts a key as X-Auth-Token or Authorization: Bearer', async () => {
      const token = await app.api.inject({ method: 'GET', url: `/v2/lbaas/loadbalancers/${lbP}`, headers: { 'x-auth-token': keys.readerP } });
      assert.equal(token.statusCode, 200);
      const bearer = await app.api.inject({ method: 'GET', url: `/v2/lbaas/loadbalancers/${lbP}`, headers: { authorization: `Bearer ${keys.readerP}` } });
      assert.equal(bearer.statusCode, 200);
      assert.equal(bearer.json().loadbalancer.project_id, 'project-p');
    });

    it("creates in the key's project and refuses another project's", async () => {
      const lb = await as(app, keys.memberP)('GET', `/v2/lbaas/loadbalancers/${lbP}`);
      // The X-Project-Id header (sent by the test client) counts for nothing here.
      assert.equal(lb.body.loadbalancer.project_id, 'project-p');
      const other = await as(app, keys.memberP)('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, project_id: 'project-q' } });
      assert.equal(other.status, 403);
      assert.equal(other.body.faultstring, FORBIDDEN);
      const byAdmin = await as(app, keys.admin)('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, project_id: 'project-z' } });
      assert.equal(byAdmin.status, 201);
      assert.equal(byAdmin.body.loadbalancer.project_id, 'project-z');
    });

    it("judges roles: readers read, members write, nobody touches another project's objects", async () => {
      assert.equal((await as(app, keys.readerP)('PUT', `/v2/lbaas/loadbalancers/${lbP}`, { loadbalancer: { name: 'x' } })).status, 403);
      const other = await as(app, keys.memberP)('GET', `/v2/lbaas/loadbalancers/${lbQ}`);
      assert.equal(other.status, 403);
      assert.equal(other.body.faultstring, FORBIDDEN);
      assert.equal((await as(app, keys.memberP)('DELETE', `/v2/lbaas/loadbalancers/${lbQ}`)).status, 403);
      assert.equal((await as(app, keys.memberP)('GET', `/v2/lbaas/loadbalancers/${crypto.randomUUID()}`)).status, 404, 'missing before forbidden');
      assert.equal((await as(app, keys.readerP)('GET', '/v2/fulcrum/jobs')).status, 403);
      assert.equal((await as(app, keys.admin)('GET', '/v2/fulcrum/jobs')).status, 200);
    });

    it("refuses Keystone's plain member and reader roles everywhere under Octavia's default policy", async () => {
      for (const k of [keys.plainMemberP, keys.plainReaderP]) {
        for (const [method, path, body] of [
          ['GET', '/v2/lbaas/loadbalancers'],
          ['GET', `/v2/lbaas/loadbalancers/${lbP}`],
          ['GET', '/v2/lbaas/providers'],
          ['GET', '/v2/lbaas/flavors'],
          ['GET', '/v2/lbaas/availabilityzones'],
          ['GET', `/v2/lbaas/quotas/project-p`],
          ['POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } }],
          ['PUT', `/v2/lbaas/loadbalancers/${lbP}`, { loadbalancer: { name: 'x' } }],
        ] as [string, string, unknown][]) {
          const res = await as(app, k)(method, path, body);
          assert.equal(res.status, 403, `${method} ${path}: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.faultstring, FORBIDDEN);
        }
      }
    });

    it("lists only the caller's project unless it may list globally", async () => {
      const own = await as(app, keys.readerP)('GET', '/v2/lbaas/loadbalancers');
      assert.deepEqual(own.body.loadbalancers.map((l: { id: string }) => l.id), [lbP]);
      assert.equal((await as(app, keys.readerP)('GET', '/v2/lbaas/loadbalancers?project_id=project-q')).status, 403);
      const all = await as(app, keys.global)('GET', '/v2/lbaas/loadbalancers');
      const ids = all.body.loadbalancers.map((l: { id: string }) => l.id);
      assert.ok(ids.includes(lbP) && ids.includes(lbQ), 'a global observer sees every project');
      const filtered = await as(app, keys.global)('GET', '/v2/lbaas/loadbalancers?project_id=project-q');
      assert.deepEqual(filtered.body.loadbalancers.map((l: { id: string }) => l.id), [lbQ]);
      assert.equal((await as(app, keys.global)('PUT', `/v2/lbaas/loadbalancers/${lbQ}`, { loadbalancer: { name: 'x' } })).status, 403);
    });

    it("lets the service role list another project's pool members, and nothing else", async () => {
      const service = await key(app, 'project-service', ['service']);
      const admin = as(app, keys.admin);
      for (let i = 0; (await admin('GET', `/v2/lbaas/loadbalancers/${lbQ}`)).body.loadbalancer.provisioning_status !== 'ACTIVE'; i++) {
        assert.ok(i < 500, 'load balancer did not become ACTIVE');
        await new Promise((r) => setTimeout(r, 20));
      }
      const pool = await admin('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lbQ, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' } });
      assert.equal(pool.status, 201, JSON.stringify(pool.body));
      const members = await as(app, service)('GET', `/v2/lbaas/pools/${pool.body.pool.id}/members`);
      assert.equal(members.status, 200);
      assert.deepEqual(members.body.members, []);
      assert.equal((await as(app, service)('GET', `/v2/lbaas/pools/${pool.body.pool.id}`)).status, 403);
      assert.equal((await as(app, keys.memberP)('GET', `/v2/lbaas/pools/${pool.body.pool.id}/members`)).status, 403);
    });

    it('stores only a digest, records use, and refuses a revoked key at once', async () => {
      const created = await createApiKey(app.rt.database.db, { projectId: 'project-p', roles: ['load-balancer_observer'], name: 'short-lived' });
      const rows = await app.rt.database.db.selectFrom('api_key').selectAll().execute();
      assert.ok(!JSON.stringify(rows).includes(created.key), 'the key itself is not stored');
      assert.ok(rows.some((r) => r.key_hash === hashApiKey(created.key)));
      assert.equal((await as(app, created.key)('GET', `/v2/lbaas/loadbalancers/${lbP}`)).status, 200);
      const used = await app.rt.database.db.selectFrom('api_key').select('last_used_at').where('id', '=', created.record.id).executeTakeFirstOrThrow();
      assert.ok(used.last_used_at instanceof Date);
      assert.equal(await revokeApiKey(app.rt.database.db, created.record.id), true);
      assert.equal((await as(app, created.key)('GET', `/v2/lbaas/loadbalancers/${lbP}`)).status, 401);
      assert.equal(await revokeApiKey(app.rt.database.db, created.record.id), false, 'already revoked');
    });
  });
}

describe('policy file overrides', () => {
  let app: TestApp;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fulcrum-policy-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(
      file,
      [
        '# Only administrators create load balancers; auditors read their own project.',
        '"os_load-balancer_api:loadbalancer:post": "rule:load-balancer:admin"',
        '"load-balancer:observer_and_owner": "(role:reader or role:auditor) and rule:load-balancer:owner"',
      ].join('\n'),
    );
    app = await startTestApp('pglite', { config: { authStrategy: 'apikey', policyFile: file } });
  });
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the overridden rules and keeps the others', async () => {
    const member = await key(app, 'project-p', ['load-balancer_member']);
    const admin = await key(app, 'project-p', ['admin']);
    const auditor = await key(app, 'project-p', ['auditor']);
    const denied = await as(app, member)('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
    assert.equal(denied.status, 403);
    const created = await as(app, admin)('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
    assert.equal(created.status, 201);
    assert.equal((await as(app, auditor)('GET', `/v2/lbaas/loadbalancers/${created.body.loadbalancer.id}`)).status, 200);
    assert.equal((await as(app, auditor)('PUT', `/v2/lbaas/loadbalancers/${created.body.loadbalancer.id}`, { loadbalancer: { name: 'x' } })).status, 403);
  });
});
