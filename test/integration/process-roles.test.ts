// The production shape: `fulcrum migrate`, then several `fulcrum api` and `fulcrum worker`
// processes on one PostgreSQL database; and the embedded `fulcrum serve`, whose data directory
// belongs to one process only.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresDatabase } from '../helpers/db.ts';
import { exitOf, startFulcrum, type FulcrumProcess } from '../helpers/processes.ts';
import { SUBNET } from '../helpers/app.ts';

/** These tests are about processes and databases, not the data plane. */
const CONTROL_PLANE_ONLY = { FULCRUM_DEFAULT_PROVIDER: 'noop', FULCRUM_NETWORK_DRIVER: 'noop' };

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { 'x-project-id': 'roles', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function waitActive(base: string, id: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await call(base, 'GET', `/v2/lbaas/loadbalancers/${id}`);
    const status = res.body?.loadbalancer?.provisioning_status;
    if (status === 'ACTIVE' || status === 'ERROR') return status;
    if (Date.now() > deadline) throw new Error(`LB ${id} stuck in ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('production roles on PostgreSQL', () => {
  const started: FulcrumProcess[] = [];
  let drop: (() => Promise<void>) | null = null;
  after(async () => {
    await Promise.all(started.map((p) => p.stop('SIGKILL')));
    await drop?.();
  });

  test('migrate, then two API and two worker processes serve one database', async () => {
    const pg = await createPostgresDatabase();
    drop = pg.drop;
    const env = { ...CONTROL_PLANE_ONLY, FULCRUM_DATABASE_URL: pg.url, FULCRUM_API_BIND: '127.0.0.1:0', FULCRUM_JOB_POLL_MS: '100' };
    const migrate = startFulcrum(['migrate'], env);
    started.push(migrate);
    assert.equal(await exitOf(migrate), 0, migrate.output());
    assert.match(migrate.output(), /applied: 0001_core/);

    const apis = [startFulcrum(['api'], env), startFulcrum(['api'], env)];
    const workers = [startFulcrum(['worker'], env), startFulcrum(['worker'], env)];
    started.push(...apis, ...workers);
    const bases = await Promise.all(apis.map((a) => a.address));
    assert.notEqual(bases[0], bases[1]);

    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await call(bases[i % 2], 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: `lb${i}`, vip_subnet_id: SUBNET } });
      assert.equal(res.status, 201);
      ids.push(res.body.loadbalancer.id);
    }
    for (const id of ids) assert.equal(await waitActive(bases[1], id), 'ACTIVE');
    const list = await call(bases[0], 'GET', '/v2/lbaas/loadbalancers?limit=100');
    assert.equal(list.body.loadbalancers.length, 10);

    const jobs: { state: string; load_balancer_id: string }[] = (await call(bases[0], 'GET', '/v2/fulcrum/jobs')).body.jobs;
    assert.ok(jobs.length >= ids.length, `${jobs.length} jobs for ${ids.length} creates`);
    assert.deepEqual(ids.filter((id) => !jobs.some((j) => j.load_balancer_id === id)), [], 'every load balancer has its job');
    assert.deepEqual(jobs.filter((j) => j.state !== 'succeeded'), []);
  });

  test('api and worker refuse to run on the embedded database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fulcrum-roles-'));
    try {
      const p = startFulcrum(['worker'], { FULCRUM_DATA_DIR: dir, FULCRUM_DATABASE_URL: '' });
      started.push(p);
      assert.equal(await exitOf(p), 1);
      assert.match(p.output(), /set FULCRUM_DATABASE_URL to a postgres:\/\/ URL/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fulcrum serve on the embedded database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-serve-'));
  const started: FulcrumProcess[] = [];
  after(async () => {
    await Promise.all(started.map((p) => p.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  test('serves, keeps data across a restart, and refuses a second process on its directory', async () => {
    const env = { ...CONTROL_PLANE_ONLY, FULCRUM_DATA_DIR: dir, FULCRUM_API_BIND: '127.0.0.1:0' };
    const first = startFulcrum(['serve'], env);
    started.push(first);
    const base = await first.address;
    const res = await call(base, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'kept', vip_subnet_id: SUBNET } });
    assert.equal(res.status, 201);
    assert.equal(await waitActive(base, res.body.loadbalancer.id), 'ACTIVE');

    const second = startFulcrum(['serve'], env);
    started.push(second);
    assert.equal(await exitOf(second), 1);
    assert.match(second.output(), /is in use by another Fulcrum process/);

    await first.stop('SIGTERM');
    const again = startFulcrum(['serve'], env);
    started.push(again);
    const base2 = await again.address;
    const got = await call(base2, 'GET', `/v2/lbaas/loadbalancers/${res.body.loadbalancer.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.loadbalancer.name, 'kept');
    assert.equal(got.body.loadbalancer.provisioning_status, 'ACTIVE');
    const docs = await fetch(`${base2}/docs/json`);
    assert.equal(docs.status, 200);
    const openapi = await docs.json();
    assert.match(openapi.openapi, /^3\./);
    for (const path of ['/v2/lbaas/loadbalancers', '/v2/lbaas/listeners', '/v2/lbaas/pools']) assert.ok(openapi.paths[path], path);
  });
});
