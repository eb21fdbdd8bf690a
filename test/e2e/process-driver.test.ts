// End to end on the process compute driver: an API create gives a real HAProxy on a loopback
// VIP spreading real requests over real backends; changes follow; delete tears it down.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApp } from '../helpers/app.ts';
import { startProcessAmphoraApp, type AmphoraApp } from '../helpers/amphora-app.ts';
import { showProc } from '../../src/agent/master-cli.ts';
import { fetchText, startBackend, type Backend } from '../helpers/data-plane.ts';

describe('amphora provider on the process compute driver', () => {
  let env: AmphoraApp;
  let app: TestApp;
  let dataDir: string;
  let subnetId: string;
  let backends: Backend[] = [];

  before(async () => {
    env = await startProcessAmphoraApp('process', [100, 200], 300);
    ({ app, dataDir, subnetId } = env);
    backends = await Promise.all([startBackend('be1'), startBackend('be2')]);
  });

  after(async () => {
    await env?.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  test('create → traffic through the VIP reaches every member; member changes follow; delete tears down', async () => {
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'e2e', vip_subnet_id: subnetId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const lbId = created.body.loadbalancer.id;
    const vip = created.body.loadbalancer.vip_address;
    const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 30_000);
    assert.equal(lb.provisioning_status, 'ACTIVE', JSON.stringify(await app.request('GET', `/v2/fulcrum/jobs?load_balancer_id=${lbId}`)));
    const settle = () => app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 30_000);

    const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 8080 } });
    assert.equal(listener.status, 201);
    assert.equal((await settle()).provisioning_status, 'ACTIVE');
    const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    assert.equal((await settle()).provisioning_status, 'ACTIVE');
    const poolId = pool.body.pool.id;
    const members: string[] = [];
    for (const b of backends) {
      const m = await app.request('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: '127.0.0.1', protocol_port: b.port } });
      assert.equal(m.status, 201);
      members.push(m.body.member.id);
      assert.equal((await settle()).provisioning_status, 'ACTIVE');
    }

    const url = `http://${vip}:8080/`;
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(await fetchText(url));
    assert.deepEqual([...seen].sort(), ['be1', 'be2'], 'round robin reaches both members');

    const [amphora] = await app.rt.database.db.selectFrom('amphora').select('run_dir').where('load_balancer_id', '=', lbId).execute();
    const workersBefore = (await showProc(join(amphora.run_dir!, 'master.sock'))).workers;
    const drained = await app.request('PUT', `/v2/lbaas/pools/${poolId}/members/${members[0]}`, { member: { admin_state_up: false } });
    assert.equal(drained.status, 200);
    await settle();
    const workersAfter = (await showProc(join(amphora.run_dir!, 'master.sock'))).workers;
    assert.deepEqual(workersAfter, workersBefore, 'an admin-state change goes through the runtime API, without a reload');
    const after = new Set<string>();
    for (let i = 0; i < 10; i++) after.add(await fetchText(url));
    assert.deepEqual([...after], ['be2'], 'an admin-down member gets no traffic');

    const monitor = await app.request('POST', '/v2/lbaas/healthmonitors', {
      healthmonitor: { pool_id: poolId, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1 },
    });
    assert.equal(monitor.status, 201);
    await settle();
    await app.request('PUT', `/v2/lbaas/pools/${poolId}/members/${members[0]}`, { member: { admin_state_up: true } });
    await settle();
    await backends[1].close();
    const deadline = Date.now() + 15_000;
    let status = '';
    while (Date.now() < deadline) {
      status = (await app.request('GET', `/v2/lbaas/pools/${poolId}/members/${members[1]}`)).body.member.operating_status;
      if (status === 'ERROR') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 'ERROR', 'the monitor marks the stopped backend down');
    const only = new Set<string>();
    for (let i = 0; i < 10; i++) only.add(await fetchText(url));
    assert.deepEqual([...only], ['be1'], 'traffic avoids the failed member');

    // The health poller turns HAProxy's frontend counters into listener, LB and amphora statistics.
    const listenerId = listener.body.listener.id;
    let stats: Record<string, number> = {};
    const statsDeadline = Date.now() + 10_000;
    while (Date.now() < statsDeadline) {
      stats = (await app.request('GET', `/v2/lbaas/listeners/${listenerId}/stats`)).body.stats;
      if (stats.total_connections >= 10) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(stats.total_connections >= 10 && stats.bytes_in > 0 && stats.bytes_out > 0, JSON.stringify(stats));
    const lbStats = (await app.request('GET', `/v2/lbaas/loadbalancers/${lbId}/stats`)).body.stats;
    assert.ok(lbStats.total_connections >= stats.total_connections, JSON.stringify(lbStats));
    const [{ id: amphoraId }] = await app.rt.database.db.selectFrom('amphora').select('id').where('load_balancer_id', '=', lbId).execute();
    const amphoraStats = await app.request('GET', `/v2/octavia/amphorae/${amphoraId}/stats`);
    assert.equal(amphoraStats.status, 200, JSON.stringify(amphoraStats.body));
    assert.deepEqual(amphoraStats.body.amphora_stats.map((s: { listener_id: string }) => s.listener_id), [listenerId]);

    const delListener = await app.request('DELETE', `/v2/lbaas/listeners/${listener.body.listener.id}`);
    assert.equal(delListener.status, 204);
    await settle();
    await assert.rejects(fetchText(url, 1000), 'the listener port is closed');

    const del = await app.request('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`);
    assert.equal(del.status, 204);
    await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['DELETED'], 30_000);
    const runDir = join(dataDir, 'agent', 'run');
    assert.deepEqual(existsSync(runDir) ? readdirSync(runDir) : [], [], 'the amphora run directory is gone');
    const amphorae = await app.rt.database.db.selectFrom('amphora').select('status').where('load_balancer_id', '=', lbId).execute();
    assert.ok(amphorae.length > 0, 'the load balancer had an amphora');
    assert.deepEqual(amphorae.filter((a) => a.status !== 'DELETED'), []);
  });
});
