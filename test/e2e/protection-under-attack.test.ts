// Listener protection under attack, end to end: settings made through the API reach the
// amphora's HAProxy (process compute driver, VIP on loopback) by the normal listener update,
// and then hold against an attacker at 127.0.0.71 while a legitimate client at 127.0.0.72 is
// served: per-source request rate (HTTP, 429 + Retry-After), concurrent connections, new
// connection rate (TCP, rejected), slowloris against the default request-header timeout, and
// allowed_cidrs changed without dropping an allowed client mid-stream.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { TestApp } from '../helpers/app.ts';
import { startProcessAmphoraApp, type AmphoraApp } from '../helpers/amphora-app.ts';
import { startBackend, type Backend } from '../helpers/data-plane.ts';
import { destroyAll, eventually, getFrom, holdConnections, paced, trickle, type Outcome } from '../helpers/source-traffic.ts';

const ATTACKER = '127.0.0.71';
const LEGIT = '127.0.0.72';
const OTHER = '127.0.0.73';
const STREAM_CHUNKS = 10;
const STREAM_CHUNK_MS = 300;

/** A member that streams `STREAM_CHUNKS` chunks over ~3 s on /stream and answers at once elsewhere. */
async function startStreamingBackend(): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    if (req.url !== '/stream') return res.end('quick');
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (let i = 0; i < STREAM_CHUNKS && !res.destroyed; i++) {
      res.write(`chunk ${i}\n`);
      await new Promise((r) => setTimeout(r, STREAM_CHUNK_MS));
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The whole body of a GET from `source`, with the time each chunk arrived. */
function stream(url: string, source: string): Promise<{ status: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, localAddress: source, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => resolve({ status: res.statusCode ?? 0, body, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, body: '', error: err.message }));
  });
}

function count(results: Outcome[], status: number): number {
  return results.filter((r) => r.status === status).length;
}

describe('protection under attack (process compute driver)', () => {
  let env: AmphoraApp;
  let app: TestApp;
  let backend: Backend;
  let streaming: { port: number; close(): Promise<void> };
  let lbId = '';
  let vip = '';
  const listeners: Record<string, string> = {};

  const settle = async () => {
    const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 60_000);
    assert.equal(lb.provisioning_status, 'ACTIVE', JSON.stringify((await app.request('GET', `/v2/fulcrum/jobs?load_balancer_id=${lbId}`)).body));
  };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(method, path, body);
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    await settle();
    return res.body;
  };
  const protect = (name: string, protection: Record<string, unknown>) => call('PUT', `/v2/fulcrum/listeners/${listeners[name]}/protection`, { protection });

  async function addListener(name: string, protocol: 'HTTP' | 'TCP', port: number, memberPort: number, extra: Record<string, unknown> = {}) {
    const l = await call('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol, protocol_port: port, ...extra } });
    listeners[name] = l.listener.id;
    const pool = await call('POST', '/v2/lbaas/pools', { pool: { listener_id: l.listener.id, protocol, lb_algorithm: 'ROUND_ROBIN' } });
    await call('POST', `/v2/lbaas/pools/${pool.pool.id}/members`, { member: { address: '127.0.0.1', protocol_port: memberPort } });
  }

  before(async () => {
    env = await startProcessAmphoraApp('protection', [160, 170], 500);
    app = env.app;
    backend = await startBackend('be');
    streaming = await startStreamingBackend();
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'protected', vip_subnet_id: env.subnetId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    lbId = created.body.loadbalancer.id;
    vip = created.body.loadbalancer.vip_address;
    await settle();
    await addListener('rate', 'HTTP', 8080, backend.port);
    await addListener('tcp', 'TCP', 9090, backend.port);
    await addListener('slow', 'HTTP', 8081, backend.port, { timeout_client_data: 2000 });
    await addListener('cidrs', 'HTTP', 8082, streaming.port, { allowed_cidrs: [`${LEGIT}/32`] });
  });

  after(async () => {
    await env?.close();
    await backend?.close();
    await streaming?.close();
  });

  test('request rate: an attacker at 500 req/s over a limit of 20 gets its excess refused with 429; a client at 10 req/s is always served', async (t) => {
    await protect('rate', { requests_per_second_per_source: 20, burst: 0 });
    const url = `http://${vip}:8080/`;
    const [attack, legit] = await Promise.all([
      paced(500, 4000, 300, () => getFrom(url, ATTACKER)),
      // Never skips a request: on a loaded machine one may take over a second under the attack,
      // and the client is to be served throughout, not to give up.
      paced(10, 4000, 40, () => getFrom(url, LEGIT)),
    ]);
    const sent = attack.results.length;
    const served = count(attack.results, 200);
    const refused = count(attack.results, 429);
    // What the limit lets through over the run, counting a full window at each end.
    const budget = 20 * (attack.elapsedMs / 1000 + 1);
    const summary = { sent, skipped: attack.skipped, served, refused, other: sent - served - refused, budget: Math.round(budget), elapsedMs: Math.round(attack.elapsedMs) };
    t.diagnostic(`attacker: ${JSON.stringify(summary)}; legitimate: ${count(legit.results, 200)} of ${legit.results.length} served`);
    assert.ok(sent >= 1000, `the attacker sent at a rate far above the limit (${sent} requests)`);
    assert.ok(refused >= 0.9 * (sent - budget), `≥ 90% of the excess refused: ${refused} of ${Math.round(sent - budget)}`);
    assert.ok(attack.results.filter((r) => r.status === 429).every((r) => r.retryAfter === '1'), '429s say when to retry');
    assert.equal(count(legit.results, 200), legit.results.length, `every legitimate request served: ${JSON.stringify(legit.results.filter((r) => r.status !== 200).slice(0, 5))}`);
    assert.ok(legit.results.length >= 30, `the legitimate client ran throughout (${legit.results.length})`);
    // HAProxy's count reaches the stats call through the heartbeats.
    let stats: any = {};
    for (let i = 0; i < 100 && !(stats.refused_requests >= refused); i++) {
      stats = (await app.request('GET', `/v2/lbaas/listeners/${listeners.rate}/stats`)).body.stats;
      await new Promise((r) => setTimeout(r, 200));
    }
    t.diagnostic(`listener stats: ${JSON.stringify(stats)}`);
    assert.equal(stats.refused_requests, refused, 'the stats call counts every refused request');
    assert.equal(stats.refused_connections, 0);
    // The operator sees who: the attacker on top, the legitimate client not at all.
    const sources = await app.request('GET', `/v2/fulcrum/listeners/${listeners.rate}/protection/sources?limit=5`);
    assert.equal(sources.status, 200, JSON.stringify(sources.body));
    t.diagnostic(`sources: ${JSON.stringify(sources.body.sources)}`);
    assert.equal(sources.body.sources.top[0].source, ATTACKER);
    assert.equal(sources.body.sources.top[0].refused.requests_rate, refused);
    assert.ok(!sources.body.sources.top.some((s: { source: string }) => s.source === LEGIT));
    assert.equal(sources.body.sources.refused.requests_rate, refused);
  });

  test('concurrent connections: an attacker holding 100 connections against a limit of 10 gets the other 90 rejected; the client is served', async (t) => {
    await protect('rate', { requests_per_second_per_source: null, concurrent_connections_per_source: 10 });
    const held = await holdConnections(vip, 8080, ATTACKER, 100);
    try {
      await eventually(() => held.filter((c) => c.closedAfterMs !== null).length >= 90, 3000);
      const rejected = held.filter((c) => c.closedAfterMs !== null).length;
      const legit = await paced(10, 1000, 10, () => getFrom(`http://${vip}:8080/`, LEGIT));
      t.diagnostic(`held 100, rejected ${rejected}; legitimate ${count(legit.results, 200)} of ${legit.results.length}`);
      assert.ok(rejected >= 0.9 * 90, `≥ 90% of the 90 connections over the limit rejected (${rejected})`);
      assert.ok(rejected <= 90, `the 10 within the limit stay open (${rejected} rejected)`);
      assert.equal(count(legit.results, 200), legit.results.length);
      let stats: any = {};
      for (let i = 0; i < 100 && !(stats.refused_connections >= rejected); i++) {
        stats = (await app.request('GET', `/v2/lbaas/listeners/${listeners.rate}/stats`)).body.stats;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(stats.refused_connections, rejected, `the stats call counts the rejected connections: ${JSON.stringify(stats)}`);
    } finally {
      destroyAll(held);
    }
  });

  test('new connections on a TCP listener: an attacker at 500 conn/s over a limit of 20/s is rejected; the client is served', async (t) => {
    await protect('tcp', { new_connections_per_second_per_source: 20 });
    const url = `http://${vip}:9090/`;
    const [attack, legit] = await Promise.all([
      paced(500, 3000, 300, () => getFrom(url, ATTACKER)),
      paced(10, 3000, 10, () => getFrom(url, LEGIT)),
    ]);
    const sent = attack.results.length;
    const served = count(attack.results, 200);
    const budget = 20 * (attack.elapsedMs / 1000 + 1);
    t.diagnostic(`attacker: sent ${sent}, served ${served}, budget ${Math.round(budget)}; legitimate ${count(legit.results, 200)} of ${legit.results.length}`);
    assert.ok(sent >= 750, `the attacker opened connections far above the limit (${sent})`);
    assert.ok(sent - served >= 0.9 * (sent - budget), `≥ 90% of the excess rejected: ${sent - served} of ${Math.round(sent - budget)}`);
    assert.equal(count(legit.results, 200), legit.results.length, JSON.stringify(legit.results.filter((r) => r.status !== 200).slice(0, 5)));
  });

  test('slowloris: 500 connections trickling headers do not stop a client being served, and are closed by the request-header timeout', async (t) => {
    // No protection on this listener: the defence is on by default (timeout_client_data 2000 → timeout http-request 2000).
    const held = await holdConnections(vip, 8081, ATTACKER, 500);
    try {
      const opened = held.filter((c) => c.closedAfterMs === null).length;
      const trickling = trickle(held, 250, 8000);
      const legit = await paced(5, 2000, 5, () => getFrom(`http://${vip}:8081/`, LEGIT));
      await trickling;
      const closed = held.filter((c) => c.closedAfterMs !== null);
      const latest = Math.max(...closed.map((c) => c.closedAfterMs!));
      const answered408 = closed.filter((c) => c.received.startsWith('HTTP/1.1 408')).length;
      t.diagnostic(`opened ${opened}, closed by the server ${closed.length} (latest after ${Math.round(latest)} ms, ${answered408} with 408); legitimate ${count(legit.results, 200)} of ${legit.results.length}`);
      assert.equal(opened, 500, 'all 500 slow connections were accepted');
      assert.equal(count(legit.results, 200), legit.results.length, 'the legitimate client was served throughout');
      assert.equal(closed.length, 500, 'every slow connection was closed although it kept sending');
      assert.ok(latest < 6000, `closed by the 2 s request-header timeout, not by anything later (${Math.round(latest)} ms)`);
      assert.ok(answered408 >= 450, `the server gave up on their requests (408): ${answered408}`);
    } finally {
      destroyAll(held);
    }
  });

  test('allowed_cidrs: outside refused, inside served; a change does not drop an allowed client mid-stream', async (t) => {
    const url = `http://${vip}:8082/`;
    assert.equal((await getFrom(url, LEGIT)).status, 200);
    assert.equal((await getFrom(url, ATTACKER)).status, 0, 'outside the list: the connection is refused');
    assert.equal((await getFrom(url, OTHER)).status, 0);
    const during = stream(`${url}stream`, LEGIT);
    await new Promise((r) => setTimeout(r, STREAM_CHUNK_MS));
    const res = await app.request('PUT', `/v2/lbaas/listeners/${listeners.cidrs}`, { listener: { allowed_cidrs: [`${LEGIT}/32`, `${OTHER}/32`] } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await settle();
    const streamed = await during;
    t.diagnostic(`stream across the change: ${streamed.status}, ${streamed.body.split('\n').filter(Boolean).length} chunks${streamed.error ? `, ${streamed.error}` : ''}`);
    assert.equal(streamed.status, 200);
    assert.equal(streamed.body, Array.from({ length: STREAM_CHUNKS }, (_, i) => `chunk ${i}\n`).join(''), 'the allowed client got its whole response across the reload');
    assert.equal((await getFrom(url, OTHER)).status, 200, 'the added source is served');
    assert.equal((await getFrom(url, ATTACKER)).status, 0, 'a source still outside is refused');
  });
});
