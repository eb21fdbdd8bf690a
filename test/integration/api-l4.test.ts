// UDP and SCTP through the API with the amphora provider on the noop compute driver, which
// accepts what the netns driver accepts: the whole tree goes ACTIVE, and every combination
// Octavia refuses gets its 400, or the amphora provider's 501, with nothing written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.ts';

describe('UDP and SCTP on the amphora provider (noop compute driver)', () => {
  let app: TestApp;
  let dataDir: string;
  let lbId: string;
  const listeners: Record<string, string> = {};
  const pools: Record<string, string> = {};
  const settle = async () => assert.equal((await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'])).provisioning_status, 'ACTIVE');
  const fault = (res: { status: number; body: any }, status: number, pattern: RegExp) => {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.ok(res.body.faultcode && typeof res.body.debuginfo !== 'undefined', `an Octavia fault body: ${JSON.stringify(res.body)}`);
    assert.match(res.body.faultstring, pattern);
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-api-l4-'));
    app = await startTestApp('pglite', { config: { defaultProvider: 'amphora', computeDriver: 'noop', networkDriver: 'noop', dataDir } });
    const lb = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: randomUUID() } });
    assert.equal(lb.status, 201, JSON.stringify(lb.body));
    lbId = lb.body.loadbalancer.id;
    await settle();
    for (const [protocol, port] of [['UDP', 53], ['SCTP', 3868]] as const) {
      const l = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol, protocol_port: port } });
      assert.equal(l.status, 201, JSON.stringify(l.body));
      listeners[protocol] = l.body.listener.id;
      await settle();
      const p = await app.request('POST', '/v2/lbaas/pools', {
        pool: { listener_id: l.body.listener.id, protocol, lb_algorithm: 'SOURCE_IP_PORT', session_persistence: { type: 'SOURCE_IP', persistence_timeout: 60, persistence_granularity: '255.255.255.0' } },
      });
      assert.equal(p.status, 201, JSON.stringify(p.body));
      pools[protocol] = p.body.pool.id;
      await settle();
    }
  });

  after(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('UDP and SCTP listeners, SOURCE_IP_PORT pools with SOURCE_IP persistence, members and a UDP-CONNECT monitor go ACTIVE', async () => {
    const member = await app.request('POST', `/v2/lbaas/pools/${pools.UDP}/members`, { member: { address: '192.0.2.10', protocol_port: 53 } });
    assert.equal(member.status, 201, JSON.stringify(member.body));
    await settle();
    const monitor = await app.request('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: pools.UDP, type: 'UDP-CONNECT', delay: 3, timeout: 1, max_retries: 2 } });
    assert.equal(monitor.status, 201, JSON.stringify(monitor.body));
    await settle();
    const pool = (await app.request('GET', `/v2/lbaas/pools/${pools.UDP}`)).body.pool;
    assert.equal(pool.lb_algorithm, 'SOURCE_IP_PORT');
    assert.deepEqual(pool.session_persistence, { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: 60, persistence_granularity: '255.255.255.0' });
  });

  test('what Octavia refuses for UDP and SCTP is a 400 or the provider 501, and nothing is written', async () => {
    const before = (await app.rt.database.db.selectFrom('pool').select('id').execute()).length;
    fault(await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listeners.UDP, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }), 400, /pool protocol 'HTTP' is invalid while the listener protocol is 'UDP'/);
    fault(await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listeners.SCTP, protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN' } }), 400, /pool protocol 'UDP' is invalid while the listener protocol is 'SCTP'/);
    fault(await app.request('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lbId, protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'HTTP_COOKIE' } } }), 400, /HTTP_COOKIE is not supported for UDP protocol pools/);
    fault(await app.request('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lbId, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'SOURCE_IP', persistence_timeout: 10 } } }), 400, /only for UDP and SCTP protocol pools/);
    fault(await app.request('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lbId, protocol: 'UDP', lb_algorithm: 'LEAST_CONNECTIONS' } }), 501, /LEAST_CONNECTIONS load balancing algorithm on UDP pools/);
    assert.equal((await app.rt.database.db.selectFrom('pool').select('id').execute()).length, before, 'no pool was written');

    fault(await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'UDP', protocol_port: 54, default_tls_container_ref: 'https://keymanager.example/v1/secrets/x' } }), 400, /only allowed on TERMINATED_HTTPS or PROMETHEUS listeners, not UDP/);
    fault(await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'UDP', protocol_port: 55, insert_headers: { 'X-Forwarded-For': 'true' } } }), 400, /insert-headers/);
    fault(await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'UDP', protocol_port: 53 } }), 409, /./);
    fault(await app.request('POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: listeners.UDP, action: 'REJECT' } }), 501, /L7 policies on UDP protocol listeners/);

    fault(await app.request('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: pools.SCTP, type: 'HTTPS', delay: 3, timeout: 1, max_retries: 2 } }), 400, /only a UDP-CONNECT\/SCTP\/TCP\/HTTP health monitor/);
    fault(await app.request('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: pools.SCTP, type: 'UDP-CONNECT', delay: 2, timeout: 1, max_retries: 2 } }), 400, /should be larger than 3 for UDP-CONNECT/);
    fault(await app.request('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: pools.SCTP, type: 'PING', delay: 3, timeout: 1, max_retries: 2 } }), 400, /pool protocol is SCTP, so only a UDP-CONNECT\/SCTP\/TCP\/HTTP health monitor/);
    fault(await app.request('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: pools.SCTP, type: 'TLS-HELLO', delay: 3, timeout: 1, max_retries: 2 } }), 400, /only a UDP-CONNECT\/SCTP\/TCP\/HTTP health monitor/);
    fault(await app.request('PUT', `/v2/lbaas/pools/${pools.SCTP}`, { pool: { lb_algorithm: 'LEAST_CONNECTIONS' } }), 501, /LEAST_CONNECTIONS load balancing algorithm on SCTP pools/);
  });

  test('an HTTP monitor on an SCTP pool is accepted with its method, path and codes, as Octavia accepts it', async () => {
    const monitor = await app.request('POST', '/v2/lbaas/healthmonitors', {
      healthmonitor: { pool_id: pools.SCTP, type: 'HTTP', delay: 3, timeout: 1, max_retries: 2, http_method: 'HEAD', url_path: '/healthz', expected_codes: '200-204' },
    });
    assert.equal(monitor.status, 201, JSON.stringify(monitor.body));
    await settle();
    const shown = (await app.request('GET', `/v2/lbaas/healthmonitors/${monitor.body.healthmonitor.id}`)).body.healthmonitor;
    assert.deepEqual([shown.type, shown.http_method, shown.url_path, shown.expected_codes, shown.provisioning_status], ['HTTP', 'HEAD', '/healthz', '200-204', 'ACTIVE']);
  });
});
