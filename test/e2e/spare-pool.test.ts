// The spare pool on the process compute driver, with real amphorae: housekeeping boots spares
// (registered with the local agent, no HAProxy yet), a create takes one and serves traffic
// through its VIP, an LB failover takes the next and keeps serving, and the spares are what the
// agent runs (a run directory each). Amphora ids prove which amphora serves.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApp } from '../helpers/app.ts';
import { startProcessAmphoraApp, type AmphoraApp } from '../helpers/amphora-app.ts';
import { fetchText, startBackend, type Backend } from '../helpers/data-plane.ts';
import { SparePoolKeeper } from '../../src/housekeeping/spare-pool-keeper.ts';
import { createLogger } from '../../src/observability/logger.ts';

describe('spare amphorae on the process compute driver', () => {
  let env: AmphoraApp;
  let app: TestApp;
  let backend: Backend;
  let keeper: SparePoolKeeper;
  let lbId: string;

  const lbPath = () => `/v2/lbaas/loadbalancers/${lbId}`;
  const settle = async () => assert.equal((await app.waitFor(lbPath(), 'loadbalancer', ['ACTIVE', 'ERROR'], 60_000)).provisioning_status, 'ACTIVE');
  const spares = async () =>
    app.rt.database.db.selectFrom('amphora').select(['id', 'run_dir']).where('status', '=', 'READY').where('load_balancer_id', 'is', null).orderBy('created_at').orderBy('id').execute();
  const serving = async () => app.rt.database.db.selectFrom('amphora').select(['id', 'run_dir']).where('load_balancer_id', '=', lbId).where('status', '=', 'ALLOCATED').execute();

  before(async () => {
    env = await startProcessAmphoraApp('spares', [239, 241], 300);
    app = env.app;
    backend = await startBackend('spare-be');
    keeper = new SparePoolKeeper({ db: app.rt.database.db, dataPlane: app.rt.dataPlane }, 2, 60_000, createLogger(process.env.FULCRUM_TEST_LOG ?? 'silent'));
  });

  after(async () => {
    await env?.close();
    await backend?.close();
  });

  test('housekeeping boots two spares: registered with the agent, no HAProxy running', async () => {
    assert.equal(await keeper.fillOnce(), 2);
    const pool = await spares();
    assert.equal(pool.length, 2);
    for (const s of pool) {
      assert.ok(s.run_dir && existsSync(s.run_dir), `the agent made the run directory of ${s.id}`);
      assert.equal(existsSync(join(s.run_dir!, 'haproxy.pid')), false, 'no HAProxy before a load balancer takes it');
    }
  });

  test('a create takes the oldest spare and serves through its VIP', async () => {
    const [first, second] = await spares();
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: env.subnetId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    lbId = created.body.loadbalancer.id;
    await settle();
    assert.deepEqual((await serving()).map((a) => a.id), [first.id]);
    const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 8080 } });
    await settle();
    const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    await settle();
    await app.request('POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: '127.0.0.1', protocol_port: backend.port } });
    await settle();
    const url = `http://${created.body.loadbalancer.vip_address}:8080/`;
    assert.equal(await fetchText(url), 'spare-be');
    assert.ok(Number(readFileSync(join(first.run_dir!, 'haproxy.pid'), 'utf8')) > 0, 'the spare now runs HAProxy');
    assert.deepEqual((await spares()).map((s) => s.id), [second.id]);
  });

  test('an LB failover takes the remaining spare, which then serves the VIP', async () => {
    const [next] = await spares();
    const [old] = await serving();
    assert.equal((await app.request('PUT', `${lbPath()}/failover`)).status, 202);
    await settle();
    assert.deepEqual((await serving()).map((a) => a.id), [next.id]);
    const gone = await app.rt.database.db.selectFrom('amphora').select('status').where('id', '=', old.id).executeTakeFirstOrThrow();
    assert.equal(gone.status, 'DELETED');
    const lb = (await app.request('GET', lbPath())).body.loadbalancer;
    assert.equal(await fetchText(`http://${lb.vip_address}:8080/`), 'spare-be');
    assert.deepEqual(await spares(), []);
  });
});
