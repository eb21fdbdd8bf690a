// Real traffic through a real load balancer (`fulcrum serve`, process compute driver) shows in
// /metrics with exact counts: after the first requests, again after a reload (HAProxy's own
// counters start again at zero, Fulcrum's do not), and again after Fulcrum itself restarts.
// A PROMETHEUS listener serves HAProxy's exporter on the VIP. Scraped on FULCRUM_METRICS_BIND,
// which needs no credentials.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startBackend, stopLocalDataPlane, type Backend } from '../helpers/data-plane.ts';
import { httpGet } from '../helpers/netns.ts';
import { startFulcrum, type FulcrumProcess } from '../helpers/processes.ts';
import { sample } from '../helpers/prometheus-text.ts';

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { 'x-project-id': 'metrics-e2e', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function waitActive(base: string, lbId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = (await call(base, 'GET', `/v2/lbaas/loadbalancers/${lbId}`)).body?.loadbalancer?.provisioning_status;
    if (status === 'ACTIVE') return;
    if (status === 'ERROR' || Date.now() > deadline) throw new Error(`LB ${lbId} is ${status}, not ACTIVE`);
    await sleep(50);
  }
}

async function send(url: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await httpGet(url, 2000);
    assert.equal(res.status, 200, `GET ${url}: ${res.status} ${res.body}`);
  }
}

describe('data plane figures in /metrics', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-e2e-metrics-'));
  const cidr = `127.${randomInt(200, 250)}.${randomInt(0, 255)}.0/24`;
  const started: FulcrumProcess[] = [];
  let env: Record<string, string>;
  let metricsUrl: string;
  let backend: Backend;

  before(async () => {
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    env = {
      FULCRUM_DATA_DIR: dataDir,
      FULCRUM_API_BIND: '127.0.0.1:0',
      FULCRUM_METRICS_BIND: `127.0.0.1:${metricsPort}`,
      FULCRUM_LOCAL_AGENT_PORT: String(await freePort()),
      FULCRUM_DEFAULT_PROVIDER: 'amphora',
      FULCRUM_NETWORK_DRIVER: 'local',
      FULCRUM_COMPUTE_DRIVER: 'process',
      FULCRUM_JOB_POLL_MS: '50',
      FULCRUM_HEALTH_POLL_MS: '100',
      FULCRUM_HEARTBEAT_INTERVAL_MS: '200',
      FULCRUM_HEARTBEAT_TIMEOUT_MS: '5000',
      FULCRUM_AUTO_FAILOVER: 'false',
    };
    backend = await startBackend('metrics-be');
  });

  after(async () => {
    for (const p of started) await p.stop('SIGKILL');
    stopLocalDataPlane(dataDir);
    await backend?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function scrape(): Promise<string> {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
    return res.text();
  }

  /** Scrapes until `check` holds (heartbeats come every 200 ms, written every 100 ms). */
  async function until(what: string, check: (text: string) => boolean): Promise<string> {
    const deadline = Date.now() + 30_000;
    let text = '';
    for (;;) {
      text = await scrape();
      if (check(text)) return text;
      if (Date.now() > deadline) assert.fail(`${what} never showed in /metrics:\n${text.split('\n').filter((l) => l.startsWith('fulcrum_listener_') || l.startsWith('fulcrum_member_')).join('\n')}`);
      await sleep(200);
    }
  }

  test('exact counts after traffic, after a reload and after a restart of Fulcrum', async () => {
    const first = startFulcrum(['serve'], env);
    started.push(first);
    const base = await first.address;
    const network = await call(base, 'POST', '/v2/fulcrum/networks', { network: { name: 'metrics' } });
    const subnet = await call(base, 'POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.body.network.id, cidr } });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    const lb = await call(base, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'metered', vip_subnet_id: subnet.body.subnet.id } });
    assert.equal(lb.status, 201, JSON.stringify(lb.body));
    const lbId = lb.body.loadbalancer.id;
    const vip = lb.body.loadbalancer.vip_address;
    await waitActive(base, lbId);
    const listener = await call(base, 'POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 8080 } });
    assert.equal(listener.status, 201, JSON.stringify(listener.body));
    const listenerId = listener.body.listener.id;
    await waitActive(base, lbId);
    const pool = await call(base, 'POST', '/v2/lbaas/pools', { pool: { listener_id: listenerId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    assert.equal(pool.status, 201, JSON.stringify(pool.body));
    const poolId = pool.body.pool.id;
    await waitActive(base, lbId);
    const member = await call(base, 'POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: '127.0.0.1', protocol_port: backend.port } });
    assert.equal(member.status, 201, JSON.stringify(member.body));
    const memberId = member.body.member.id;
    await waitActive(base, lbId);

    const url = `http://${vip}:8080/`;
    const L = { loadbalancer_id: lbId, listener_id: listenerId };
    const M = { loadbalancer_id: lbId, pool_id: poolId, member_id: memberId };
    const requests = (text: string) => sample(text, 'fulcrum_listener_requests_total', L);
    /** Every figure that must equal the number of requests sent so far, and the byte counts per request. */
    const expectExact = (text: string, n: number, perRequest: { in: number; out: number } | null) => {
      assert.equal(requests(text), n, 'listener requests');
      assert.equal(sample(text, 'fulcrum_listener_responses_total', { ...L, code: '2xx' }), n, 'listener 2xx');
      assert.equal(sample(text, 'fulcrum_listener_responses_total', { ...L, code: '5xx' }), 0, 'listener 5xx');
      assert.equal(sample(text, 'fulcrum_listener_connections_total', L), n, 'listener connections');
      assert.equal(sample(text, 'fulcrum_member_connections_total', M), n, 'member connections');
      assert.equal(sample(text, 'fulcrum_member_responses_total', { ...M, code: '2xx' }), n, 'member 2xx');
      assert.equal(sample(text, 'fulcrum_pool_requests_total', { loadbalancer_id: lbId, pool_id: poolId }), n, 'pool requests');
      if (perRequest) {
        assert.equal(sample(text, 'fulcrum_listener_bytes_in_total', L), perRequest.in * n, 'bytes in');
        assert.equal(sample(text, 'fulcrum_listener_bytes_out_total', L), perRequest.out * n, 'bytes out');
      }
    };

    // 1. First traffic.
    await send(url, 25);
    let text = await until('25 requests', (t) => requests(t) === 25 && sample(t, 'fulcrum_member_connections_total', M) === 25);
    expectExact(text, 25, null);
    const perRequest = { in: sample(text, 'fulcrum_listener_bytes_in_total', L)! / 25, out: sample(text, 'fulcrum_listener_bytes_out_total', L)! / 25 };
    assert.ok(Number.isInteger(perRequest.in) && perRequest.in > 0, `bytes in per request: ${perRequest.in}`);
    assert.ok(Number.isInteger(perRequest.out) && perRequest.out > 0, `bytes out per request: ${perRequest.out}`);
    assert.equal(sample(text, 'fulcrum_member_operating_status', { ...M, operating_status: 'NO_MONITOR' }), 1);
    assert.equal(sample(text, 'fulcrum_listener_active_connections', L), 0);

    // 2. A reload (listener update, and a PROMETHEUS listener added): HAProxy counts from zero again.
    const update = await call(base, 'PUT', `/v2/lbaas/listeners/${listenerId}`, { listener: { timeout_client_data: 40_000 } });
    assert.equal(update.status, 200, JSON.stringify(update.body));
    await waitActive(base, lbId);
    const prom = await call(base, 'POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'PROMETHEUS', protocol_port: 9100 } });
    assert.equal(prom.status, 201, JSON.stringify(prom.body));
    await waitActive(base, lbId);
    await send(url, 15);
    text = await until('40 requests', (t) => requests(t) === 40 && sample(t, 'fulcrum_member_connections_total', M) === 40);
    // Several more heartbeats of the same worker change nothing.
    await sleep(1500);
    expectExact(await scrape(), 40, perRequest);

    // The PROMETHEUS listener: HAProxy's own exporter on the VIP, with the reloaded worker's counts.
    const exporter = await httpGet(`http://${vip}:9100/metrics`, 5000);
    assert.equal(exporter.status, 200);
    const own = sample(exporter.body, 'haproxy_frontend_http_requests_total', { proxy: listenerId });
    assert.equal(own, 15, 'HAProxy counted only what the new worker served');
    assert.equal((await httpGet(`http://${vip}:9100/other`, 5000)).status, 404);

    // 3. Fulcrum restarts (API, worker, health manager): the totals are kept, and grow on.
    assert.equal(await first.stop('SIGTERM'), 0);
    const second = startFulcrum(['serve'], env);
    started.push(second);
    await second.address;
    expectExact(await scrape(), 40, perRequest);
    await send(url, 10);
    text = await until('50 requests', (t) => requests(t) === 50 && sample(t, 'fulcrum_member_connections_total', M) === 50);
    await sleep(1500);
    expectExact(await scrape(), 50, perRequest);
    assert.ok((sample(text, 'fulcrum_heartbeats_accepted_total') ?? 0) > 0, 'the new process counts the heartbeats it takes');
    assert.equal(sample(text, 'fulcrum_circuit_breaker_open', { domain: 'fleet' }) ?? 0, 0);
  });
});
