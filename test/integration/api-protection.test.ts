// /v2/fulcrum/listeners/{id}/protection through the API: the settings in force (configured
// defaults, then the flavor's, then the listener's own), a change as a listener update that
// settles ACTIVE, and Octavia-style 400s for what cannot be accepted, leaving nothing written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createActiveLoadBalancer, startTestApp, type TestApp } from '../helpers/app.ts';

const FAULT_KEYS = ['debuginfo', 'faultcode', 'faultstring'];

describe('listener protection API', () => {
  let app: TestApp;
  let lb: any;
  let http: any;
  let tcp: any;
  let udp: any;
  before(async () => {
    app = await startTestApp('pglite', { config: { protectionDefaults: { concurrent_connections_per_source: 500 } } });
    lb = await createActiveLoadBalancer(app);
    const settle = () => app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
    const make = async (protocol: string, protocol_port: number) => {
      const res = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol, protocol_port } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await settle();
      return res.body.listener;
    };
    http = await make('HTTP', 80);
    tcp = await make('TCP', 5432);
    udp = await make('UDP', 53);
  });
  after(async () => app?.close());

  const path = (l: any) => `/v2/fulcrum/listeners/${l.id}/protection`;
  const put = (l: any, protection: unknown) => app.request('PUT', path(l), { protection });

  test('GET shows the configured defaults when nothing else is set', async () => {
    const res = await app.request('GET', path(http));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.protection, {
      listener_id: http.id,
      requests_per_second_per_source: null,
      burst: 0,
      concurrent_connections_per_source: 500,
      new_connections_per_second_per_source: null,
      action: 'deny_429',
      provisioning_status: 'ACTIVE',
    });
  });

  test('PUT is a listener update: PENDING_UPDATE, then ACTIVE, with the new settings merged over the old', async () => {
    const res = await put(http, { requests_per_second_per_source: 20, burst: 5 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.protection.provisioning_status, 'PENDING_UPDATE');
    assert.equal(res.body.protection.requests_per_second_per_source, 20);
    const listener = await app.waitFor(`/v2/lbaas/listeners/${http.id}`, 'listener');
    assert.equal(listener.provisioning_status, 'ACTIVE');
    const second = await put(http, { action: 'tarpit', concurrent_connections_per_source: null });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    await app.waitFor(`/v2/lbaas/listeners/${http.id}`, 'listener');
    const got = (await app.request('GET', path(http))).body.protection;
    assert.equal(got.requests_per_second_per_source, 20, 'the earlier setting is kept');
    assert.equal(got.burst, 5);
    assert.equal(got.action, 'tarpit');
    assert.equal(got.concurrent_connections_per_source, null, 'null switches the configured default off');
  });

  test('DELETE goes back to the defaults', async () => {
    await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
    const res = await app.request('DELETE', path(http));
    assert.equal(res.status, 204, JSON.stringify(res.body));
    await app.waitFor(`/v2/lbaas/listeners/${http.id}`, 'listener');
    const got = (await app.request('GET', path(http))).body.protection;
    assert.equal(got.requests_per_second_per_source, null);
    assert.equal(got.concurrent_connections_per_source, 500);
  });

  test('a flavor\'s protection metadata lies between the configured defaults and the listener\'s own', async () => {
    const profile = await app.request('POST', '/v2/lbaas/flavorprofiles', {
      flavorprofile: { name: 'protected', provider_name: 'noop', flavor_data: JSON.stringify({ protection: { requests_per_second_per_source: 100, concurrent_connections_per_source: 50 } }) },
    });
    assert.equal(profile.status, 201, JSON.stringify(profile.body));
    const flavor = await app.request('POST', '/v2/lbaas/flavors', { flavor: { name: 'protected', flavor_profile_id: profile.body.flavorprofile.id } });
    assert.equal(flavor.status, 201, JSON.stringify(flavor.body));
    const protectedLb = await createActiveLoadBalancer(app, { flavor_id: flavor.body.flavor.id });
    const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: protectedLb.id, protocol: 'HTTP', protocol_port: 80 } });
    await app.waitFor(`/v2/lbaas/loadbalancers/${protectedLb.id}`, 'loadbalancer');
    const got = (await app.request('GET', path(listener.body.listener))).body.protection;
    assert.equal(got.requests_per_second_per_source, 100);
    assert.equal(got.concurrent_connections_per_source, 50, 'the flavor over the configured default');
  });

  test('a TCP listener enforces connection limits only, and rejects', async () => {
    await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
    const res = await put(tcp, { new_connections_per_second_per_source: 30 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.protection.action, 'reject');
    assert.equal(res.body.protection.requests_per_second_per_source, null);
    await app.waitFor(`/v2/lbaas/listeners/${tcp.id}`, 'listener');
  });

  const bad: [string, () => any, unknown, RegExp][] = [
    ['a limit below range', () => http, { requests_per_second_per_source: 0 }, /requests_per_second_per_source/],
    ['a limit above range', () => http, { concurrent_connections_per_source: 1_000_001 }, /concurrent_connections_per_source/],
    ['a negative burst', () => http, { burst: -1 }, /burst/],
    ['a null burst', () => http, { burst: null }, /burst/],
    ['a fractional limit', () => http, { new_connections_per_second_per_source: 1.5 }, /new_connections_per_second_per_source/],
    ['a string limit', () => http, { requests_per_second_per_source: 'many' }, /requests_per_second_per_source/],
    ['an unknown action', () => http, { action: 'drop' }, /action/],
    ['an unknown field', () => http, { requests_per_minute: 5 }, /requests_per_minute/],
    ['a request limit on a TCP listener', () => tcp, { requests_per_second_per_source: 10 }, /TCP listeners/],
    ['a 429 on a TCP listener', () => tcp, { action: 'deny_429' }, /TCP listeners/],
    ['any protection on a UDP listener', () => udp, { concurrent_connections_per_source: 10 }, /UDP listeners/],
  ];
  for (const [name, listener, body, message] of bad) {
    test(`400 for ${name}, nothing written`, async () => {
      await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
      const before = (await app.request('GET', path(listener()))).body;
      const res = await put(listener(), body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body).sort(), FAULT_KEYS);
      assert.match(res.body.faultstring, message);
      const lbNow = (await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer;
      assert.equal(lbNow.provisioning_status, 'ACTIVE', 'the load balancer was not locked');
      assert.deepEqual((await app.request('GET', path(listener()))).body, before);
    });
  }

  test('400 for a body without the protection wrapper, and for a wrapper that is not an object', async () => {
    for (const body of [{ requests_per_second_per_source: 5 }, { protection: [] }, { protection: 5 }]) {
      const res = await app.request('PUT', path(http), body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body).sort(), FAULT_KEYS);
    }
  });

  test('sources: 400 for a bad limit; an empty report from a provider with nothing serving', async () => {
    for (const limit of ['0', '1001', 'ten', '2.5']) {
      const res = await app.request('GET', `${path(http)}/sources?limit=${limit}`);
      assert.equal(res.status, 400, `${limit}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(Object.keys(res.body).sort(), FAULT_KEYS);
    }
    const res = await app.request('GET', `${path(http)}/sources`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.sources, { tracked: 0, refused: { concurrent_connections: 0, new_connections_rate: 0, requests_rate: 0 }, top: [] });
  });

  test('404 for a listener that does not exist', async () => {
    const res = await app.request('GET', '/v2/fulcrum/listeners/7f0b1f50-0000-4000-8000-000000000000/protection');
    assert.equal(res.status, 404);
    assert.deepEqual(Object.keys(res.body).sort(), FAULT_KEYS);
  });
});
