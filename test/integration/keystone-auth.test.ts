// FULCRUM_AUTH_STRATEGY=keystone against a real Keystone (test/helpers/keystone.ts) on both
// back ends: tokens scope requests to their project, roles reach the policy, missing / bad /
// revoked tokens get keystonemiddleware's 401, projects Fulcrum never saw just work, verdicts
// are cached (counted in Keystone's own access log), and the read-only Neutron subset shows
// each project its own and the shared networks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';
import { startKeystone, type KeystoneUser, type TestKeystone } from '../helpers/keystone.ts';
import { createKeystoneAuthenticator } from '../../src/auth/keystone.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { IdentityUnavailable } from '../../src/errors.ts';

const CACHE_TTL_MS = 3_000;
const UNAUTHORIZED = { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let ks: TestKeystone;
before(async () => {
  ks = await startKeystone();
});
after(async () => ks?.close());

/** Keystone's count of token validations, once its access log has caught up. */
async function validations(): Promise<number> {
  let last = -1;
  for (;;) {
    await sleep(150);
    const now = ks.validationRequests();
    if (now === last) return now;
    last = now;
  }
}

function keystoneConfig(extra: Record<string, unknown> = {}) {
  return {
    authStrategy: 'keystone' as const,
    keystoneAuthUrl: ks.url,
    keystoneUsername: ks.service.username,
    keystonePassword: ks.service.password,
    keystoneProjectName: ks.service.projectName,
    keystoneCacheTtlMs: CACHE_TTL_MS,
    ...extra,
  };
}

test('Keystone unreachable: 503, not 401 and not a crash', async () => {
  const config = loadConfig({}, { ...keystoneConfig(), keystoneAuthUrl: 'http://127.0.0.1:9/v3' });
  const auth = createKeystoneAuthenticator(config, createLogger('silent'));
  try {
    await assert.rejects(auth.authenticate({ 'x-auth-token': 'anything' }), (e) => e instanceof IdentityUnavailable && (e as IdentityUnavailable).status === 503);
  } finally {
    await auth.close();
  }
});

test('a revoked service token is replaced and the validation retried', async () => {
  const svc = await ks.createProjectUser(['service']);
  const user = await ks.createProjectUser(['member']);
  const config = loadConfig({}, { ...keystoneConfig(), keystoneUsername: svc.username, keystonePassword: svc.password, keystoneProjectName: svc.projectName });
  const auth = createKeystoneAuthenticator(config, createLogger('silent'));
  try {
    const first = await auth.authenticate({ 'x-auth-token': (await ks.issueToken(user)).token });
    assert.equal(first.projectId, user.projectId);
    assert.equal(auth.client.requests, 2, 'one service token, one validation');
    // Disabling the service user revokes its tokens; enabled again, it may log in again.
    await ks.setEnabled(svc, false);
    await ks.setEnabled(svc, true);
    // Keystone compares issue times to revocation events in whole seconds.
    await sleep(1_100);
    const second = await auth.authenticate({ 'x-auth-token': (await ks.issueToken(user)).token });
    assert.deepEqual([...second.roles].sort(), ['member', 'reader']);
    assert.equal(auth.client.requests, 5, 'refused validation, new service token, validation again');
  } finally {
    await auth.close();
  }
});

for (const backend of BACKENDS) {
  describe(`keystone authentication (${backend})`, () => {
    let app: TestApp;
    let alice: KeystoneUser; // member and load-balancer_member of project A
    let bob: KeystoneUser; // member and load-balancer_member of project B
    let reader: KeystoneUser; // reader and load-balancer_observer of project C
    let plain: KeystoneUser; // only Keystone's member role, in project D
    let aliceToken: string;
    let bobToken: string;
    const as = (token: string) => ({ 'x-auth-token': token });

    before(async () => {
      app = await startTestApp(backend, { config: keystoneConfig() });
      [alice, bob, reader, plain] = await Promise.all([
        ks.createProjectUser(['member', 'load-balancer_member']),
        ks.createProjectUser(['member', 'load-balancer_member']),
        ks.createProjectUser(['reader', 'load-balancer_observer']),
        ks.createProjectUser(['member']),
      ]);
      [aliceToken, bobToken] = (await Promise.all([ks.issueToken(alice), ks.issueToken(bob)])).map((t) => t.token);
    });
    after(async () => app?.close());

    test('a member token scopes the request to its project (X-Project-Id is ignored)', async () => {
      const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, name: 'alice-lb' } }, { ...as(aliceToken), 'x-project-id': bob.projectId });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const lb = created.body.loadbalancer;
      assert.equal(lb.project_id, alice.projectId);

      const mine = await app.request('GET', '/v2/lbaas/loadbalancers', undefined, as(aliceToken));
      assert.deepEqual(mine.body.loadbalancers.map((l: any) => l.id), [lb.id]);
      const theirs = await app.request('GET', '/v2/lbaas/loadbalancers', undefined, as(bobToken));
      assert.equal(theirs.status, 200);
      assert.deepEqual(theirs.body.loadbalancers, []);
      assert.equal((await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}`, undefined, as(bobToken))).status, 403);
      assert.equal((await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}`, undefined, as(aliceToken))).status, 200);
    });

    test('a project Fulcrum never saw: its reader lists (empty) and may not write', async () => {
      const token = (await ks.issueToken(reader)).token;
      const list = await app.request('GET', '/v2/lbaas/loadbalancers', undefined, as(token));
      assert.equal(list.status, 200);
      assert.deepEqual(list.body, { loadbalancers: [], loadbalancers_links: [] });
      const create = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } }, as(token));
      assert.equal(create.status, 403);
    });

    test("Keystone's member role alone is refused on every read and write (Octavia's default policy)", async () => {
      const token = (await ks.issueToken(plain)).token;
      for (const path of ['/v2/lbaas/loadbalancers', '/v2/lbaas/providers', '/v2/lbaas/flavors', '/v2/lbaas/availabilityzones', `/v2/lbaas/quotas/${plain.projectId}`]) {
        const res = await app.request('GET', path, undefined, as(token));
        assert.equal(res.status, 403, `GET ${path}: ${JSON.stringify(res.body)}`);
      }
      const create = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } }, as(token));
      assert.equal(create.status, 403);
    });

    test('no token, a made-up token, a revoked token: 401 with the keystonemiddleware body', async () => {
      const none = await app.request('GET', '/v2/lbaas/loadbalancers');
      assert.equal(none.status, 401);
      assert.deepEqual(none.body, UNAUTHORIZED);
      assert.equal(none.headers['www-authenticate'], `Keystone uri="${ks.url}"`);

      const bogus = await app.request('GET', '/v2/lbaas/loadbalancers', undefined, as('gAAAAABnot-a-real-token'));
      assert.equal(bogus.status, 401);
      assert.deepEqual(bogus.body, UNAUTHORIZED);

      const revoked = (await ks.issueToken(alice)).token;
      await ks.revokeToken(revoked);
      const res = await app.request('GET', '/v2/lbaas/loadbalancers', undefined, as(revoked));
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, UNAUTHORIZED);
    });

    test('the version document needs no token', async () => {
      const res = await app.request('GET', '/');
      assert.equal(res.status, 200);
    });

    test('cache: one Keystone validation per token per TTL; a revoked token lives until the TTL ends', async () => {
      const token = (await ks.issueToken(alice)).token;
      const before = await validations();
      assert.equal((await app.request('GET', '/v2/lbaas/loadbalancers', undefined, as(token))).status, 200);
      const afterFirst = await validations();
      assert.equal(afterFirst, before + 1, 'the first request validates the token with Keystone');
      for (let i = 0; i < 5; i++) assert.equal((await app.request('GET', '/v2/lbaas/loadbalancers', undefined, as(token))).status, 200);
      assert.equal(await validations(), afterFirst, 'later requests are answered from the cache');

      const revokedAt = Date.now();
      await ks.revokeToken(token);
      assert.equal((await app.request('GET', '/v2/lbaas/loadbalancers', undefined, as(token))).status, 200, 'cached verdict until the TTL');
      await sleep(Math.max(0, CACHE_TTL_MS - (Date.now() - revokedAt)) + 200);
      assert.equal((await app.request('GET', '/v2/lbaas/loadbalancers', undefined, as(token))).status, 401, 'revocation seen after the TTL');
      assert.equal(await validations(), afterFirst + 1);

      // Rejections are cached too (briefly): a flood of bad tokens costs Keystone one request.
      const bad = 'gAAAAAB-flood';
      const b0 = await validations();
      for (let i = 0; i < 3; i++) assert.equal((await app.request('GET', '/v2/lbaas/loadbalancers', undefined, as(bad))).status, 401);
      assert.equal(await validations(), b0 + 1);
    });

    test('concurrent requests with one new token share one validation', async () => {
      const token = (await ks.issueToken(bob)).token;
      const v0 = await validations();
      const results = await Promise.all(Array.from({ length: 8 }, () => app.request('GET', '/v2/lbaas/loadbalancers', undefined, as(token))));
      assert.deepEqual(results.map((r) => r.status), Array(8).fill(200));
      assert.equal(await validations(), v0 + 1);
    });

    describe('Neutron subset', () => {
      let adminToken: string;
      const ids: Record<string, { network: string; subnet: string }> = {};
      before(async () => {
        adminToken = (await ks.issueToken(ks.admin)).token;
        for (const [key, project, cidr] of [
          ['shared', undefined, '10.10.0.0/24'],
          ['alice', alice.projectId, '10.20.0.0/24'],
          ['bob', bob.projectId, '10.30.0.0/24'],
        ] as const) {
          const name = `${key}-net-${backend}`;
          const n = await app.request('POST', '/v2/fulcrum/networks', { network: { name, ...(project ? { project_id: project } : {}) } }, as(adminToken));
          assert.equal(n.status, 201, JSON.stringify(n.body));
          const s = await app.request('POST', '/v2/fulcrum/subnets', { subnet: { network_id: n.body.network.id, name: `${key}-subnet-${backend}`, cidr, gateway_ip: cidr.replace('0/24', '1') } }, as(adminToken));
          assert.equal(s.status, 201, JSON.stringify(s.body));
          ids[key] = { network: n.body.network.id, subnet: s.body.subnet.id };
        }
      });

      test('a project sees the shared networks and its own, nobody else’s', async () => {
        const res = await app.request('GET', '/networking/v2.0/networks', undefined, as(aliceToken));
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const seen = res.body.networks.map((n: any) => n.id);
        assert.ok(seen.includes(ids.shared.network) && seen.includes(ids.alice.network));
        assert.ok(!seen.includes(ids.bob.network));
        const shared = res.body.networks.find((n: any) => n.id === ids.shared.network);
        assert.equal(shared.shared, true);
        assert.deepEqual(shared.subnets, [ids.shared.subnet]);

        const subnets = await app.request('GET', '/networking/v2.0/subnets', undefined, as(bobToken));
        const bobSees = subnets.body.subnets.map((s: any) => s.id);
        assert.ok(bobSees.includes(ids.shared.subnet) && bobSees.includes(ids.bob.subnet) && !bobSees.includes(ids.alice.subnet));
      });

      test('show: visible objects in Neutron form, another project’s is a 404', async () => {
        const res = await app.request('GET', `/networking/v2.0/subnets/${ids.alice.subnet}`, undefined, as(aliceToken));
        assert.equal(res.status, 200);
        assert.equal(res.body.subnet.network_id, ids.alice.network);
        assert.equal(res.body.subnet.project_id, alice.projectId);
        assert.deepEqual(res.body.subnet.allocation_pools, [{ start: '10.20.0.2', end: '10.20.0.254' }]);
        assert.equal((await app.request('GET', `/networking/v2.0/subnets/${ids.alice.subnet}`, undefined, as(bobToken))).status, 404);
        assert.equal((await app.request('GET', `/networking/v2.0/networks/${ids.bob.network}`, undefined, as(aliceToken))).status, 404);
        assert.equal((await app.request('GET', `/networking/v2.0/networks/${ids.shared.network}`, undefined, as(bobToken))).status, 200);
        assert.equal((await app.request('GET', `/networking/v2.0/networks/not-a-uuid`, undefined, as(bobToken))).status, 404);
      });

      test('the lookups clients make: ?name= and ?id=, no token is a 401', async () => {
        const byName = await app.request('GET', `/networking/v2.0/subnets?name=shared-subnet-${backend}`, undefined, as(aliceToken));
        assert.deepEqual(byName.body.subnets.map((s: any) => s.id), [ids.shared.subnet]);
        const byId = await app.request('GET', `/networking/v2.0/subnets?id=${ids.alice.subnet}`, undefined, as(aliceToken));
        assert.deepEqual(byId.body.subnets.map((s: any) => s.id), [ids.alice.subnet]);
        const notMine = await app.request('GET', `/networking/v2.0/networks?id=${ids.bob.network}`, undefined, as(aliceToken));
        assert.deepEqual(notMine.body.networks, []);
        const bad = await app.request('GET', '/networking/v2.0/networks?color=red', undefined, as(aliceToken));
        assert.equal(bad.status, 400);
        assert.equal((await app.request('GET', '/networking/v2.0/networks')).status, 401);
      });
    });
  });
}
