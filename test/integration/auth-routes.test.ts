// Fail closed: every route but the version documents and API docs names a policy action with a
// defined rule, and a route that does not is refused rather than served unguarded.
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { BACKENDS } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { authPlugin, isPublicRoute } from '../../src/auth/request-auth.ts';
import { ruleName } from '../../src/auth/policy-defaults.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { ApiDeps } from '../../src/api/deps.ts';

for (const backend of BACKENDS) {
  describe(`route policies (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend, { worker: false });
    });
    after(async () => {
      await app?.close();
    });

    it('every route except the version documents, API docs and the host join has a policy action with a rule', () => {
      const table = app.api.routeTable;
      assert.ok(table.some((r) => r.url === '/v2/lbaas/loadbalancers' && r.method === 'GET'), 'the route table is recorded');
      const unguarded = table.filter((r) => !isPublicRoute(r.url) && !r.policy).map((r) => `${r.method} ${r.url}`);
      // The host join's credential is its one-time token, checked by the route (api-hosts.test.ts).
      assert.deepEqual(table.filter((r) => isPublicRoute(r.url)).map((r) => r.url).sort(), ['/', '/ui', '/ui/*', '/v2', '/v2/fulcrum/hosts/join'], 'public routes');
      assert.deepEqual(unguarded, [], 'routes without config.policy');
      const undefinedRules = table.filter((r) => r.policy && !app.api.policyEngine.has(ruleName(r.policy))).map((r) => `${r.method} ${r.url} → ${r.policy}`);
      assert.deepEqual(undefinedRules, [], 'policy actions without a rule (nobody could call them)');
    });

    it('the version document and API docs stay public', async () => {
      const root = await app.api.inject({ method: 'GET', url: '/' });
      assert.equal(root.statusCode, 200);
      const docs = await app.api.inject({ method: 'GET', url: '/docs/json' });
      assert.equal(docs.statusCode, 200);
    });
  });
}

describe('a route without a policy action', () => {
  it('is refused with 403, also for the noauth administrator', async () => {
    const deps = { config: loadConfig({}), log: createLogger('silent'), database: null } as unknown as ApiDeps;
    const app = Fastify();
    try {
      await app.register(authPlugin, deps);
      app.get('/v2/lbaas/unguarded', async () => ({ leaked: true }));
      app.get('/networking/v2.0/unguarded', async () => ({ leaked: true }));
      app.get('/v2/lbaas/guarded', { config: { policy: 'loadbalancer:get_all' } }, async (request) => ({ project: request.auth.projectId }));
      app.get('/v2', async () => 'v2');
      const unguarded = await app.inject({ method: 'GET', url: '/v2/lbaas/unguarded' });
      assert.equal(unguarded.statusCode, 403);
      assert.doesNotMatch(unguarded.body, /leaked/);
      assert.equal((await app.inject({ method: 'GET', url: '/networking/v2.0/unguarded' })).statusCode, 403);
      const guarded = await app.inject({ method: 'GET', url: '/v2/lbaas/guarded', headers: { 'x-project-id': 'p1' } });
      assert.deepEqual(guarded.json(), { project: 'p1' });
      assert.equal((await app.inject({ method: 'GET', url: '/v2' })).statusCode, 200);
    } finally {
      await app.close();
    }
  });
});
