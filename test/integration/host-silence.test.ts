// A host whose amphorae all go silent at once (its agent restarting) is waited for: no failover
// while it is within its grace, none at all when it is heard again in time, and failovers of
// its amphorae once the grace ran out. Circuit breakers are off here, so nothing else holds the
// failovers back. Real health manager, real UDP heartbeats from the agent's sender, PostgreSQL;
// no worker runs, so failover jobs stay queued to be counted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createFleet, RecordingAgents, ScriptedSource, startManager, startSender, TEST_SETTINGS, until, type FleetMember } from '../helpers/heartbeat-fleet.ts';
import type { HealthManager } from '../../src/health/health-manager.ts';
import type { HeartbeatSender } from '../../src/agent/heartbeat-sender.ts';

const GRACE_MS = 2500;

let app: TestApp;
let fleet: FleetMember[];
let source: ScriptedSource;
let manager: HealthManager;
let sender: HeartbeatSender;

before(async () => {
  app = await startTestApp('postgres', { worker: true });
  fleet = await createFleet(app, 3);
  await app.setWorker(false);
  const agents = new RecordingAgents();
  manager = await startManager(app, agents, { breaker: { fleet: null, az: null, host: null, minSilent: 1 }, hostGraceMs: GRACE_MS });
  await manager.syncAgents();
  source = new ScriptedSource(fleet);
  sender = startSender(agents, source);
  await until('every amphora to be seen', async () => (await app.rt.database.db.selectFrom('amphora_health').select('amphora_id').execute()).length === fleet.length);
});

after(async () => {
  await sender?.stop();
  await manager?.stop();
  await app?.close();
});

const failoverJobs = () => app.rt.database.db.selectFrom('job').select('dedupe_key').where('dedupe_key', 'like', 'failover:%').execute();

test('the whole host silent, heard again within its grace: nothing is failed over', async () => {
  for (const m of fleet) source.silent.add(m.amphoraId);
  // Well past the heartbeat timeout, within the grace.
  await sleep(TEST_SETTINGS.timeoutMs + 1200);
  assert.deepEqual(await failoverJobs(), []);
  source.silent.clear();
  await sleep(TEST_SETTINGS.timeoutMs + GRACE_MS);
  assert.deepEqual(await failoverJobs(), []);
  for (const m of fleet) {
    const lb = await app.request('GET', `/v2/lbaas/loadbalancers/${m.loadBalancerId}`);
    assert.equal(lb.body.loadbalancer.provisioning_status, 'ACTIVE');
  }
});

test('the whole host silent past its grace: every amphora of it is failed over', async () => {
  const silencedAt = Date.now();
  for (const m of fleet) source.silent.add(m.amphoraId);
  await until('failovers of every amphora', async () => (await failoverJobs()).length === fleet.length, 20_000);
  // Not before the timeout and the grace (less the interval the last heartbeat may have been early).
  assert.ok(Date.now() - silencedAt >= TEST_SETTINGS.timeoutMs + GRACE_MS - TEST_SETTINGS.intervalMs, `${Date.now() - silencedAt} ms`);
  assert.deepEqual((await failoverJobs()).map((j) => j.dedupe_key).sort(), fleet.map((m) => `failover:${m.amphoraId}`).sort());
});
