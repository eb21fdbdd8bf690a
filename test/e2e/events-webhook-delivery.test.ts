// A stopped backend behind a real load balancer (`fulcrum serve`, process compute driver, real
// HAProxy with an HTTP health monitor) becomes a member.error event, and that event reaches a
// webhook receiver on loopback signed with the hook's secret. The receiver fails at first: the
// delivery is retried, Fulcrum is restarted while it is still pending, and the next serve
// delivers it (same delivery id, same signed body): no delivery is lost across the restart.
// `fulcrum events` shows the event from the API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startBackend, stopLocalDataPlane, type Backend } from '../helpers/data-plane.ts';
import { startFulcrum, type FulcrumProcess } from '../helpers/processes.ts';
import { runFulcrum } from '../helpers/fulcrum-serve.ts';
import { signatureValid, startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';

const PROJECT = 'events-e2e';
const SECRET = 'the-e2e-webhook-secret-0123456789';

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { 'x-project-id': PROJECT, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function waitActive(base: string, lbId: string): Promise<void> {
  await until(`LB ${lbId} ACTIVE`, async () => {
    const status = (await call(base, 'GET', `/v2/lbaas/loadbalancers/${lbId}`)).body?.loadbalancer?.provisioning_status;
    if (status === 'ERROR') throw new Error(`LB ${lbId} went to ERROR: ${JSON.stringify((await call(base, 'GET', `/v2/fulcrum/jobs?load_balancer_id=${lbId}`)).body)}`);
    return status === 'ACTIVE';
  });
}

describe('a member going down is an event, delivered to a webhook across a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-e2e-events-'));
  const cidr = `127.${randomInt(200, 250)}.${randomInt(0, 255)}.0/24`;
  const started: FulcrumProcess[] = [];
  let env: Record<string, string>;
  let backends: Backend[] = [];
  let receiver: Receiver;

  before(async () => {
    env = {
      FULCRUM_DATA_DIR: dataDir,
      FULCRUM_API_BIND: '127.0.0.1:0',
      FULCRUM_LOCAL_AGENT_PORT: String(await freePort()),
      FULCRUM_DEFAULT_PROVIDER: 'amphora',
      FULCRUM_NETWORK_DRIVER: 'local',
      FULCRUM_COMPUTE_DRIVER: 'process',
      FULCRUM_JOB_POLL_MS: '50',
      FULCRUM_HEALTH_POLL_MS: '200',
      FULCRUM_HEARTBEAT_INTERVAL_MS: '200',
      // This test is about events, not failover: a loaded machine must not replace the amphora.
      FULCRUM_AUTO_FAILOVER: 'false',
      FULCRUM_WEBHOOK_RETRY_BASE_MS: '400',
      FULCRUM_WEBHOOK_RETRY_CAP_MS: '1500',
      FULCRUM_WEBHOOK_MAX_ATTEMPTS: '100',
    };
    backends = await Promise.all([startBackend('be1'), startBackend('be2')]);
    receiver = await startReceiver();
    receiver.status = 500;
  });

  after(async () => {
    for (const p of started) await p.stop('SIGKILL');
    stopLocalDataPlane(dataDir);
    await Promise.all(backends.map((b) => b.close()));
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('stopped backend → member.error → signed delivery, retried through a restart of serve', async () => {
    const first = startFulcrum(['serve'], env);
    started.push(first);
    const base = await first.address;
    const network = await call(base, 'POST', '/v2/fulcrum/networks', { network: { name: 'events-e2e' } });
    const subnet = await call(base, 'POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.body.network.id, cidr } });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    const lb = await call(base, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'watched', vip_subnet_id: subnet.body.subnet.id } });
    assert.equal(lb.status, 201, JSON.stringify(lb.body));
    const lbId = lb.body.loadbalancer.id;
    await waitActive(base, lbId);
    const listener = await call(base, 'POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 8080 } });
    assert.equal(listener.status, 201, JSON.stringify(listener.body));
    await waitActive(base, lbId);
    const pool = await call(base, 'POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    await waitActive(base, lbId);
    const poolId = pool.body.pool.id;
    const hm = await call(base, 'POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: poolId, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1 } });
    assert.equal(hm.status, 201, JSON.stringify(hm.body));
    await waitActive(base, lbId);
    const members: string[] = [];
    for (const b of backends) {
      const m = await call(base, 'POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: '127.0.0.1', protocol_port: b.port } });
      assert.equal(m.status, 201, JSON.stringify(m.body));
      members.push(m.body.member.id);
      await waitActive(base, lbId);
    }
    const status = async (id: string) => (await call(base, 'GET', `/v2/lbaas/pools/${poolId}/members/${id}`)).body.member.operating_status;
    await until('both members ONLINE', async () => (await status(members[0])) === 'ONLINE' && (await status(members[1])) === 'ONLINE');

    const hook = await call(base, 'POST', '/v2/fulcrum/webhooks', { webhook: { url: receiver.url, secret: SECRET, event_types: ['member.error'] } });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    const hookId = hook.body.webhook.id;

    // The backend stops: HAProxy's health check marks the server DOWN, the heartbeat carries it.
    await backends[0].close();
    await until('member 1 ERROR', async () => (await status(members[0])) === 'ERROR');
    const events = (await call(base, 'GET', `/v2/fulcrum/events?loadbalancer_id=${lbId}&type=member.error`)).body.events;
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(events[0].detail.member_id, members[0]);
    assert.equal(events[0].detail.previous, 'ONLINE');
    assert.equal(events[0].project_id, PROJECT);
    assert.equal(events[0].severity, 'error');

    // The receiver answers 500: the delivery is tried again, and again.
    const failed = await receiver.waitFor(2, 30_000);
    assert.ok(failed.every((r) => signatureValid(SECRET, r)), 'even the failed attempts were signed');
    const pending = (await call(base, 'GET', `/v2/fulcrum/webhooks/${hookId}/deliveries`)).body.deliveries;
    assert.equal(pending.length, 1);
    assert.equal(pending[0].status, 'pending');
    assert.equal(pending[0].last_status_code, 500);

    // Fulcrum goes down while the delivery is pending; the receiver recovers meanwhile.
    assert.equal(await first.stop('SIGTERM'), 0);
    const whileDown = receiver.received.length;
    await sleep(1500);
    assert.equal(receiver.received.length, whileDown, 'nothing is delivered while Fulcrum is down');
    receiver.status = 200;

    const second = startFulcrum(['serve'], env);
    started.push(second);
    const base2 = await second.address;
    const delivered = await until('the delivery to succeed after the restart', async () => {
      const list = (await call(base2, 'GET', `/v2/fulcrum/webhooks/${hookId}/deliveries`)).body.deliveries;
      return list[0]?.status === 'delivered' ? list[0] : null;
    });
    const all = receiver.received;
    assert.ok(all.length > whileDown, 'the restarted serve delivered');
    assert.equal(delivered.attempts, all.length, 'every attempt is counted on the delivery');
    assert.equal(delivered.event_id, events[0].id);
    const last = all[all.length - 1];
    assert.ok(signatureValid(SECRET, last), 'the delivered body verifies under the secret');
    const body = JSON.parse(last.body);
    assert.deepEqual(body.event, events[0], 'the webhook receives the event exactly as the API shows it');
    assert.equal(new Set(all.map((r) => r.headers['x-fulcrum-delivery'])).size, 1, 'one delivery id across attempts and the restart');
    assert.equal(new Set(all.map((r) => r.body)).size, 1, 'one body');
    await sleep(1000);
    assert.equal(receiver.received.length, all.length, 'a delivered event is not sent again');

    const cli = await runFulcrum(['events', '--loadbalancer', lbId, '--type', 'member.error'], { FULCRUM_API_URL: base2, FULCRUM_DATA_DIR: dataDir });
    assert.equal(cli.code, 0, cli.stderr);
    const lines = cli.stdout.trim().split('\n');
    assert.match(lines[0], /^TIME\s+SEVERITY\s+TYPE\s+LOADBALANCER\s+DETAIL/);
    assert.equal(lines.length, 2, cli.stdout);
    assert.ok(lines[1].includes('member.error') && lines[1].includes(lbId) && lines[1].includes(`member_id=${members[0]}`), lines[1]);
  });
});
