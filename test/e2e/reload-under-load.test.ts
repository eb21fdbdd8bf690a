// Reloads under load, end to end: while clients keep opening new connections to a VIP (and one
// keeps its connection alive), 50 configuration changes made through the API each reload
// HAProxy (master-worker, seamless), and not one request fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import http from 'node:http';
import type { TestApp } from '../helpers/app.ts';
import { startProcessAmphoraApp, type AmphoraApp } from '../helpers/amphora-app.ts';
import { startBackend, type Backend } from '../helpers/data-plane.ts';
import { httpGet } from '../helpers/netns.ts';
import { amphoraLayout } from '../../src/agent/layout.ts';
import { showProc } from '../../src/agent/master-cli.ts';

const CHANGES = 50;
const LOOPS = 4;
/** Bounds of the load, whatever happens to the changes: per loop, and for all loops. */
const MAX_REQUESTS_PER_LOOP = 25_000;
const MAX_LOAD_MS = 180_000;
/** New connections awaited after each reload before the next change, so every reload is sampled. */
const REQUESTS_PER_RELOAD = 5;
const REQUEST_TIMEOUT_MS = 2000;

interface LoadResult {
  ok: number;
  failures: string[];
  bodies: Map<string, number>;
  /** The keep-alive client: requests, and the connections they took. */
  keepAlive: { ok: number; connections: number; failures: string[] };
}

function describeError(started: number, err: unknown): string {
  return `${new Date(started).toISOString()} +${Date.now() - started} ms: ${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message}`;
}

/** One GET on a kept-alive connection of `agent`; true when it opened a new connection. */
function keepAliveGet(url: string, agent: http.Agent): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(!req.reusedSocket) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
  });
}

/**
 * `LOOPS` sequential request loops, a new TCP connection per request, and one keep-alive loop
 * (an old worker must answer its next request and close, not drop it: `option
 * idle-close-on-response`), until `stop()` or a bound.
 */
function startLoad(url: string): { stop(): Promise<LoadResult>; readonly ok: number } {
  const result: LoadResult = { ok: 0, failures: [], bodies: new Map(), keepAlive: { ok: 0, connections: 0, failures: [] } };
  const deadline = Date.now() + MAX_LOAD_MS;
  let stopping = false;
  const loop = async () => {
    for (let i = 0; i < MAX_REQUESTS_PER_LOOP && !stopping && Date.now() < deadline; i++) {
      const started = Date.now();
      try {
        const res = await httpGet(url, REQUEST_TIMEOUT_MS);
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 80)}`);
        result.ok++;
        result.bodies.set(res.body, (result.bodies.get(res.body) ?? 0) + 1);
      } catch (err) {
        result.failures.push(describeError(started, err));
      }
    }
  };
  const keepAlive = async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < MAX_REQUESTS_PER_LOOP && !stopping && Date.now() < deadline; i++) {
      const started = Date.now();
      try {
        if (await keepAliveGet(url, agent)) result.keepAlive.connections++;
        result.keepAlive.ok++;
      } catch (err) {
        result.keepAlive.failures.push(describeError(started, err));
      }
    }
    agent.destroy();
  };
  const loops = [...Array.from({ length: LOOPS }, loop), keepAlive()];
  return {
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return result;
    },
    get ok() {
      return result.ok;
    },
  };
}

/** Waits until the load has completed `count` more requests: a sample of each reload that does not depend on the machine's speed. */
async function moreRequests(load: { readonly ok: number }, count: number): Promise<void> {
  const target = load.ok + count;
  const deadline = Date.now() + 30_000;
  while (load.ok < target) {
    if (Date.now() > deadline) assert.fail(`the load stalled: ${load.ok} of ${target} requests`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('reloads under load (process compute driver)', () => {
  let env: AmphoraApp;
  let app: TestApp;
  let dataDir: string;
  let subnetId: string;
  let backends: Backend[] = [];

  before(async () => {
    env = await startProcessAmphoraApp('reload', [20, 100], 500);
    ({ app, dataDir, subnetId } = env);
    backends = await Promise.all(['be1', 'be2', 'be3'].map((name) => startBackend(name)));
  });

  after(async () => {
    await env?.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  test(`${CHANGES} API changes, each a reload, while clients connect: zero failed requests`, async (t) => {
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'reload', vip_subnet_id: subnetId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const lbId = created.body.loadbalancer.id;
    const vip = created.body.loadbalancer.vip_address;
    const settle = async () => {
      const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 30_000);
      assert.equal(lb.provisioning_status, 'ACTIVE', JSON.stringify((await app.request('GET', `/v2/fulcrum/jobs?load_balancer_id=${lbId}`)).body));
      return lb;
    };
    await settle();
    const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 8080 } });
    assert.equal(listener.status, 201, JSON.stringify(listener.body));
    const listenerId = listener.body.listener.id;
    await settle();
    const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listenerId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    assert.equal(pool.status, 201, JSON.stringify(pool.body));
    await settle();
    for (const b of backends) {
      const m = await app.request('POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: '127.0.0.1', protocol_port: b.port } });
      assert.equal(m.status, 201, JSON.stringify(m.body));
      await settle();
    }

    const [amphora] = await app.rt.database.db.selectFrom('amphora').select('id').where('load_balancer_id', '=', lbId).execute();
    const masterSocket = amphoraLayout(join(dataDir, 'agent', 'run'), amphora.id).masterSocket;
    const before = await showProc(masterSocket);

    const url = `http://${vip}:8080/`;
    assert.equal((await httpGet(url)).status, 200, 'the VIP serves before the load starts');
    const load = startLoad(url);
    let active = 0;
    const started = Date.now();
    try {
      for (let i = 0; i < CHANGES; i++) {
        // Alternating values: every change renders a different config, so every one reloads.
        const res = await app.request('PUT', `/v2/lbaas/listeners/${listenerId}`, { listener: { timeout_client_data: 50_000 + (i % 2) } });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        await settle();
        await moreRequests(load, REQUESTS_PER_RELOAD);
        const got = await app.request('GET', `/v2/lbaas/listeners/${listenerId}`);
        assert.equal(got.body.listener.provisioning_status, 'ACTIVE');
        active++;
      }
    } finally {
      // Let the last reload be hit by some traffic too before stopping the clients.
      await new Promise((r) => setTimeout(r, 500));
      const result = await load.stop();
      const elapsed = Date.now() - started;
      const after = await showProc(masterSocket).catch((err: Error) => ({ reloads: NaN, failedReloads: NaN, masterPid: NaN, error: err.message }));
      const summary = {
        changesActive: active,
        requestsOk: result.ok,
        failed: result.failures.length,
        keepAlive: { ok: result.keepAlive.ok, connections: result.keepAlive.connections, failed: result.keepAlive.failures.length },
        perBackend: Object.fromEntries(result.bodies),
        reloads: after.reloads - before.reloads,
        failedReloads: after.failedReloads - before.failedReloads,
        elapsedMs: elapsed,
      };
      t.diagnostic(`reload under load: ${JSON.stringify(summary)}`);
      assert.deepEqual(result.failures.slice(0, 20), [], `no request fails during the reloads (${result.failures.length} failed of ${result.ok + result.failures.length})`);
      assert.deepEqual(result.keepAlive.failures.slice(0, 20), [], `no keep-alive request fails either (${result.keepAlive.failures.length} failed)`);
      assert.ok(result.keepAlive.ok > 2 * result.keepAlive.connections, `the keep-alive client reused its connections (${result.keepAlive.ok} requests on ${result.keepAlive.connections})`);
      assert.equal(active, CHANGES, 'every change reached ACTIVE');
      assert.equal(after.masterPid, before.masterPid, 'one master all along: reloads, not restarts');
      assert.ok(after.reloads - before.reloads >= CHANGES, `every change reloaded HAProxy (${after.reloads - before.reloads} reloads)`);
      assert.equal(after.failedReloads, before.failedReloads, 'no reload failed');
      assert.deepEqual([...result.bodies.keys()].sort(), ['be1', 'be2', 'be3'], 'every member served throughout');
    }
  });
});
