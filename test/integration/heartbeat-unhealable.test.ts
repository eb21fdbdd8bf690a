// An amphora whose agent reports it cannot heal HAProxy (its namespace is gone) is failed over
// for that reason, by one job of two managers, without waiting to be judged broken (which
// would record another reason), and the fault clears when the agent stops reporting it. The agent's
// self-heal counts add up in the health managers' API. No worker runs: jobs stay queued.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestApp } from '../helpers/app.ts';
import { startManagedFleet, until, type FleetMember, type ManagedFleet, type ScriptedSource } from '../helpers/heartbeat-fleet.ts';
import type { HealthManager } from '../../src/health/health-manager.ts';

let f: ManagedFleet;
let app: TestApp;
let fleet: FleetMember[];
let source: ScriptedSource;
let managers: HealthManager[];

before(async () => {
  f = await startManagedFleet(4);
  ({ app, fleet, source, managers } = f);
});

after(() => f?.close());

const failoverJobs = () => f.failoverJobs();

test('self-heal counts reported by the agent show in GET /v2/fulcrum/health/managers', async () => {
  source.heals.set(fleet[0].amphoraId, 2);
  source.heals.set(fleet[1].amphoraId, 3);
  await until('the self-heals to be summed', async () => (await app.request('GET', '/v2/fulcrum/health/managers')).body.amphorae?.self_heals === 5);
  const res = await app.request('GET', '/v2/fulcrum/health/managers');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.amphorae, { reporting: 4, unhealable: 0, self_heals: 5 });
  // An agent that restarted counts from zero again: the highest count seen is kept.
  source.heals.set(fleet[1].amphoraId, 0);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await app.request('GET', '/v2/fulcrum/health/managers')).body.amphorae.self_heals, 5);
});

test('an amphora whose agent cannot heal it is failed over once, for that reason', async () => {
  const lost = fleet[2];
  source.faults.set(lost.amphoraId, 'netns_missing');
  source.running.set(lost.amphoraId, false);
  await until('a failover job', async () => (await failoverJobs()).length > 0);
  await new Promise((r) => setTimeout(r, 1500));
  const jobs = await failoverJobs();
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0].dedupe_key, `failover:${lost.amphoraId}`);
  const amphora = await app.rt.database.db.selectFrom('amphora').select('fault').where('id', '=', lost.amphoraId).executeTakeFirstOrThrow();
  assert.match(amphora.fault ?? '', /its agent cannot restart or reach HAProxy \(netns_missing\)/);
  assert.equal(managers[0].failoversStarted + managers[1].failoversStarted, 1);
  const health = await app.request('GET', '/v2/fulcrum/health/managers');
  assert.equal(health.body.amphorae.unhealable, 1);
});

test('a HAProxy still running where its agent cannot reach it (namespace gone) is failed over too', async () => {
  const orphan = fleet[3];
  source.faults.set(orphan.amphoraId, 'netns_missing');
  await until('a failover job for it', async () => (await failoverJobs()).some((j) => j.dedupe_key === `failover:${orphan.amphoraId}`));
  const amphora = await app.rt.database.db.selectFrom('amphora').select('fault').where('id', '=', orphan.amphoraId).executeTakeFirstOrThrow();
  assert.match(amphora.fault ?? '', /netns_missing/);
  source.faults.delete(orphan.amphoraId);
});

test('an agent that stops reporting the fault clears it', async () => {
  const lost = fleet[2];
  source.running.set(lost.amphoraId, true);
  source.faults.delete(lost.amphoraId);
  await until('the fault to clear', async () => (await app.request('GET', '/v2/fulcrum/health/managers')).body.amphorae.unhealable === 0);
  const row = await app.rt.database.db.selectFrom('amphora_health').select(['fault', 'haproxy_running']).where('amphora_id', '=', lost.amphoraId).executeTakeFirstOrThrow();
  assert.deepEqual(row, { fault: null, haproxy_running: true });
});
