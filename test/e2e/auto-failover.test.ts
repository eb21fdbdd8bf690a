// Automatic failover end to end on the process compute driver: the real agent sends signed
// heartbeats to the health manager, which sets operating statuses from them and stores
// statistics; when the amphora's HAProxy dies and cannot be started again (its configuration
// is gone too), the health manager fails the amphora over by itself — no API call — and the
// VIP serves again from a replacement.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApp } from '../helpers/app.ts';
import { startProcessAmphoraApp, type AmphoraApp } from '../helpers/amphora-app.ts';
import { fetchText, startBackend, type Backend } from '../helpers/data-plane.ts';
import { showProc } from '../../src/agent/master-cli.ts';
import { until } from '../helpers/heartbeat-fleet.ts';

let env: AmphoraApp;
let app: TestApp;
let backend: Backend;
let lbId: string;
let listenerId: string;
let url: string;

const live = () => app.rt.database.db.selectFrom('amphora').selectAll().where('load_balancer_id', '=', lbId).where('status', '<>', 'DELETED').execute();
const settle = () => app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 60_000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}

before(async () => {
  env = await startProcessAmphoraApp('autofailover', [230, 240], 200, { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 1500, jobMaxAttempts: 2, autoFailover: true });
  app = env.app;
  backend = await startBackend('be');
  const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: env.subnetId } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  lbId = created.body.loadbalancer.id;
  await settle();
  const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 8080 } });
  listenerId = listener.body.listener.id;
  await settle();
  const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listenerId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
  await settle();
  await app.request('POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: '127.0.0.1', protocol_port: backend.port } });
  assert.equal((await settle()).provisioning_status, 'ACTIVE');
  url = `http://${created.body.loadbalancer.vip_address}:8080/`;
  assert.equal(await fetchText(url), 'be');
});

after(async () => {
  await env?.close();
  await backend?.close();
});

test('heartbeats from the real agent set the operating status and the statistics', async () => {
  const [amphora] = await live();
  await until('a heartbeat from the amphora', async () => !!(await app.rt.database.db.selectFrom('amphora_health').select('amphora_id').where('amphora_id', '=', amphora.id).executeTakeFirst()), 30_000);
  await until('the load balancer ONLINE', async () => (await app.request('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.operating_status === 'ONLINE', 30_000);
  for (let i = 0; i < 5; i++) assert.equal(await fetchText(url), 'be');
  await until('the requests in the statistics', async () => (await app.request('GET', `/v2/lbaas/listeners/${listenerId}/stats`)).body.stats.total_connections >= 5, 30_000);
});

test('HAProxy dead and not restartable: the health manager fails the amphora over and the VIP serves again', async () => {
  const [old] = await live();
  const jobsBefore = await app.rt.database.db.selectFrom('job').select('id').execute();
  const masterPid = Number(readFileSync(join(old.run_dir!, 'haproxy.pid'), 'utf8').trim());
  const { workers } = await showProc(join(old.run_dir!, 'master.sock'));
  assert.ok(workers.length > 0);
  // Without its configuration the amphora cannot bring HAProxy back by itself.
  rmSync(join(old.run_dir!, 'haproxy.cfg'), { force: true });
  for (const pid of [masterPid, ...workers]) process.kill(pid, 'SIGKILL');
  await until('the old HAProxy to be gone', () => [masterPid, ...workers].every((p) => !alive(p)), 10_000);

  await until('an automatic failover job', async () => !!(await app.rt.database.db.selectFrom('job').select('id').where('dedupe_key', '=', `failover:${old.id}`).executeTakeFirst()), 30_000);
  const jobs = await app.rt.database.db.selectFrom('job').selectAll().where('id', 'not in', jobsBefore.map((j) => j.id)).execute();
  assert.equal(jobs.length, 1, 'one job, started by the health manager');
  assert.equal((jobs[0].payload as any).action, 'failover');
  await until('the load balancer to settle', async () => (await app.request('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.provisioning_status === 'ACTIVE', 60_000);
  const amphorae = await live();
  assert.equal(amphorae.length, 1);
  assert.notEqual(amphorae[0].id, old.id);
  assert.equal(amphorae[0].status, 'ALLOCATED');
  const gone = await app.rt.database.db.selectFrom('amphora').select('status').where('id', '=', old.id).executeTakeFirstOrThrow();
  assert.equal(gone.status, 'DELETED');
  await until('the VIP to serve again', async () => (await fetchText(url).catch(() => '')) === 'be', 30_000);
  // The replacement heartbeats as well: it would be failed over too if it went silent.
  await until('a heartbeat from the replacement', async () => !!(await app.rt.database.db.selectFrom('amphora_health').select('amphora_id').where('amphora_id', '=', amphorae[0].id).executeTakeFirst()), 30_000);
  const job = await app.rt.database.db.selectFrom('job').select(['state', 'last_error']).where('id', '=', jobs[0].id).executeTakeFirstOrThrow();
  assert.equal(job.state, 'succeeded', job.last_error ?? '');
});
