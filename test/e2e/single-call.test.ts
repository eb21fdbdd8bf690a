// End to end on the process compute driver: one fully-populated create (docs/octavia-compatibility.md §5.2) gives
// a real HAProxy on a loopback VIP that spreads requests over the default pool's members and
// sends the L7 policy's matches to the redirect pool, all defined in the one call.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestApp } from '../helpers/app.ts';
import { startProcessAmphoraApp, type AmphoraApp } from '../helpers/amphora-app.ts';
import { fetchText, startBackend, type Backend } from '../helpers/data-plane.ts';

describe('single-call create on the amphora provider (process compute driver)', () => {
  let env: AmphoraApp;
  let app: TestApp;
  let backends: Backend[] = [];

  before(async () => {
    env = await startProcessAmphoraApp('single-call', [2, 20], 300);
    app = env.app;
    backends = await Promise.all([startBackend('web1'), startBackend('web2'), startBackend('api1')]);
  });

  after(async () => {
    await env?.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  test('one create → traffic through the VIP reaches the members defined in it', async () => {
    const [web1, web2, api1] = backends;
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: {
        name: 'single-call',
        vip_subnet_id: env.subnetId,
        listeners: [
          {
            name: 'http',
            protocol: 'HTTP',
            protocol_port: 8080,
            default_pool: {
              name: 'web',
              protocol: 'HTTP',
              lb_algorithm: 'ROUND_ROBIN',
              healthmonitor: { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, url_path: '/' },
              members: [
                { address: '127.0.0.1', protocol_port: web1.port },
                { address: '127.0.0.1', protocol_port: web2.port },
              ],
            },
            l7policies: [
              {
                name: 'api',
                action: 'REDIRECT_TO_POOL',
                redirect_pool: { name: 'api' },
                rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' }],
              },
            ],
          },
        ],
        pools: [{ name: 'api', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '127.0.0.1', protocol_port: api1.port }] }],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { id: lbId, vip_address: vip } = created.body.loadbalancer;
    const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 30_000);
    assert.equal(lb.provisioning_status, 'ACTIVE', JSON.stringify(await app.request('GET', `/v2/fulcrum/jobs?load_balancer_id=${lbId}`)));

    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(await fetchText(`http://${vip}:8080/`));
    assert.deepEqual([...seen].sort(), ['web1', 'web2'], 'round robin over the default pool');
    const api = new Set<string>();
    for (let i = 0; i < 5; i++) api.add(await fetchText(`http://${vip}:8080/api/things`));
    assert.deepEqual([...api], ['api1'], 'the L7 policy sends /api to its redirect pool');

    // The monitor defined in the same call runs: its members come ONLINE from health data.
    const poolId = created.body.loadbalancer.listeners[0].default_pool_id;
    const deadline = Date.now() + 15_000;
    let statuses: string[] = [];
    while (Date.now() < deadline) {
      const members = (await app.request('GET', `/v2/lbaas/pools/${poolId}/members`)).body.members;
      statuses = members.map((m: any) => m.operating_status);
      if (statuses.every((s) => s === 'ONLINE')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(statuses, ['ONLINE', 'ONLINE']);

    const del = await app.request('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`);
    assert.equal(del.status, 204);
    await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['DELETED'], 30_000);
  });
});
