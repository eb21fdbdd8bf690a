// Automatic failover decisions on PostgreSQL with two health managers: half the fleet going
// silent at once opens the circuit breaker (no failover, the reason in the management API),
// heartbeats coming back close it, and then one silent amphora gets exactly one failover job
// (claimed before other work), whichever manager sees it first. An amphora reporting HAProxy
// down past the timeout is failed over too. Each of these is one event, whichever manager saw
// it. No worker runs: the jobs stay queued to be counted.
// (Who may read and reset the breakers is in the RBAC matrix test.)
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
  f = await startManagedFleet(6);
  ({ app, fleet, source, managers } = f);
});

after(() => f?.close());

const failoverJobs = () => f.failoverJobs();

/** The events of `type`, those of the fleet breaker only for breaker types. */
async function events(type: string): Promise<any[]> {
  const res = await app.request('GET', `/v2/fulcrum/events?type=${type}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.events.filter((e: any) => !type.startsWith('circuit_breaker.') || e.detail.domain === 'fleet');
}

async function breaker(domain: string): Promise<any> {
  const res = await app.request('GET', '/v2/fulcrum/health/circuit-breakers');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.circuit_breakers.find((b: any) => b.domain === domain);
}

test('half the fleet silent at once: the breaker opens, no failover starts, the reason is recorded', async () => {
  for (const m of fleet.slice(0, 3)) source.silent.add(m.amphoraId);
  await until('the fleet breaker to open', async () => (await breaker('fleet'))?.open === true);
  const state = await breaker('fleet');
  assert.deepEqual({ silent: state.silent, total: state.total }, { silent: 3, total: 6 });
  assert.match(state.reason, /3 of 6 amphorae in fleet went silent at once/);
  // Several detection rounds of both managers later, still nothing.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await failoverJobs()).length, 0);
  const tripped = await events('circuit_breaker.tripped');
  assert.equal(tripped.length, 1, 'two managers saw it trip: one event');
  assert.deepEqual([tripped[0].project_id, tripped[0].detail.silent, tripped[0].detail.total], [null, 3, 6]);
  for (const m of fleet.slice(0, 3)) {
    const lb = await app.request('GET', `/v2/lbaas/loadbalancers/${m.loadBalancerId}`);
    assert.equal(lb.body.loadbalancer.provisioning_status, 'ACTIVE');
  }
});

test('heartbeats return: the breaker closes and nothing was failed over', async () => {
  source.silent.clear();
  await until('the fleet breaker to close', async () => (await breaker('fleet'))?.open === false);
  assert.match((await breaker('fleet')).reason, /closed: heartbeats returned/);
  assert.equal((await failoverJobs()).length, 0);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual((await events('circuit_breaker.reset')).map((e) => e.detail.by), ['heartbeats']);
});

test('one silent amphora: exactly one failover job from two managers, claimed first', async () => {
  const lost = fleet[5];
  source.silent.add(lost.amphoraId);
  await until('a failover job', async () => (await failoverJobs()).length > 0);
  // Both managers keep detecting for a while: still one job.
  await new Promise((r) => setTimeout(r, 1500));
  const jobs = await failoverJobs();
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0].dedupe_key, `failover:${lost.amphoraId}`);
  assert.equal(jobs[0].priority > 0, true);
  assert.deepEqual((jobs[0].payload as any).amphoraId, lost.amphoraId);
  assert.equal((jobs[0].payload as any).action, 'failover');
  const lb = await app.request('GET', `/v2/lbaas/loadbalancers/${lost.loadBalancerId}`);
  assert.equal(lb.body.loadbalancer.provisioning_status, 'PENDING_UPDATE');
  assert.equal(managers[0].failoversStarted + managers[1].failoversStarted, 1);
  const amphora = await app.rt.database.db.selectFrom('amphora').select('fault').where('id', '=', lost.amphoraId).executeTakeFirstOrThrow();
  assert.match(amphora.fault ?? '', /no heartbeat since/);
  const started = (await events('failover.started')).filter((e) => e.detail.amphora_id === lost.amphoraId);
  assert.equal(started.length, 1);
  assert.equal(started[0].detail.automatic, true);
  assert.equal(started[0].detail.job_id, String(jobs[0].id));
  assert.equal(started[0].loadbalancer_id, lost.loadBalancerId);
});

test('an amphora reporting HAProxy down past the timeout is failed over', async () => {
  const broken = fleet[4];
  source.running.set(broken.amphoraId, false);
  await until('a failover job for the broken amphora', async () => (await failoverJobs()).some((j) => j.dedupe_key === `failover:${broken.amphoraId}`));
  const amphora = await app.rt.database.db.selectFrom('amphora').select('fault').where('id', '=', broken.amphoraId).executeTakeFirstOrThrow();
  assert.match(amphora.fault ?? '', /HAProxy reported not running/);
});

test('failovers are claimed before jobs queued earlier', async () => {
  const { claimJobs } = await import('../../src/flows/job-store.ts');
  // An ordinary job due an hour before the failovers were queued.
  await app.rt.database.db.insertInto('job').values({ kind: 'test-ordinary', payload: JSON.stringify({}), run_after: new Date(Date.now() - 3_600_000) }).execute();
  const claimed = await claimJobs(app.rt.database.db, 'test-owner', 1, 60_000);
  assert.equal(claimed.length, 1);
  assert.equal(claimed[0].kind, 'provider-operation');
  assert.equal((claimed[0].payload as any).action, 'failover');
});

test('an operator reset lets the amphorae silent at that moment be failed over', async () => {
  for (const m of fleet.slice(0, 3)) source.silent.add(m.amphoraId);
  await until('the fleet breaker to open again', async () => (await breaker('fleet'))?.open === true);
  assert.equal((await failoverJobs()).filter((j) => fleet.slice(0, 3).some((m) => j.dedupe_key === `failover:${m.amphoraId}`)).length, 0);
  const unknown = await app.request('POST', '/v2/fulcrum/health/circuit-breakers/reset', { circuit_breaker: { domain: 'az:nowhere' } });
  assert.equal(unknown.status, 404);
  const reset = await app.request('POST', '/v2/fulcrum/health/circuit-breakers/reset', { circuit_breaker: { domain: 'fleet' } });
  assert.equal(reset.status, 200, JSON.stringify(reset.body));
  assert.equal(reset.body.circuit_breaker.open, false);
  assert.ok(reset.body.circuit_breaker.reset_at);
  await until('failovers of the three', async () => (await failoverJobs()).filter((j) => fleet.slice(0, 3).some((m) => j.dedupe_key === `failover:${m.amphoraId}`)).length === 3);
  assert.equal((await breaker('fleet')).open, false);
});
