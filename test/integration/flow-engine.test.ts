// The durable flow engine's contract (docs/architecture.md §2), on both back ends: checkpointed steps,
// resume, retry with backoff, revert + onFailure on final failure (also when the plan itself
// throws), lease expiry, fencing, graceful hand-back and unknown kinds. Each test gets a fresh
// database so no job of one test can be claimed by another test's worker. The kill -9
// behaviour across processes is in flow-crash.test.ts.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { AgentRequestFailed } from '../../src/amphora/agent-client.ts';
import type { Db } from '../../src/db/database.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { FlowRegistry, PermanentFailure, type FlowDefinition, type FlowStep } from '../../src/flows/flow.ts';
import { enqueueJob } from '../../src/flows/job-store.ts';
import { FlowWorker, type WorkerOptions } from '../../src/flows/worker.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../helpers/db.ts';

interface TraceRow {
  entry: string;
  detail: any;
  at_ms: number;
}

async function createScratchTables(db: Db): Promise<void> {
  await sql`create table flow_trace (seq bigserial primary key, job_id bigint not null, entry text not null, detail jsonb, at_ms double precision not null)`.execute(db);
  await sql`create table flow_resource (job_id bigint not null, step text not null, primary key (job_id, step))`.execute(db);
  await sql`create table flow_item (id integer primary key, status text not null, fault text)`.execute(db);
}

async function trace(db: Db, jobId: string, entry: string, detail: unknown = null): Promise<void> {
  await sql`insert into flow_trace (job_id, entry, detail, at_ms) values (${jobId}, ${entry}, ${JSON.stringify(detail)}, ${Date.now()})`.execute(db);
}

async function traces(db: Db, jobId: string): Promise<TraceRow[]> {
  const r = await sql<TraceRow>`select entry, detail, at_ms from flow_trace where job_id = ${jobId} order by seq`.execute(db);
  return r.rows;
}

async function entries(db: Db, jobId: string): Promise<string[]> {
  return (await traces(db, jobId)).map((t) => t.entry);
}

async function jobRow(db: Db, jobId: string) {
  return db.selectFrom('job').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
}

async function stepRows(db: Db, jobId: string) {
  return db.selectFrom('job_step').select(['step', 'output', 'reverted']).where('job_id', '=', jobId).orderBy('step').execute();
}

async function waitForJob(db: Db, jobId: string, state: 'succeeded' | 'failed', timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await jobRow(db, jobId);
    if (job.state === state) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not reach ${state}: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A step that records that it ran, with the results it was given, and returns `output`. */
function traced(name: string, output: (results: Record<string, any>) => unknown): FlowStep<unknown> {
  return {
    name,
    async run({ db, jobId, results }) {
      await trace(db, jobId, name, results);
      return output(results);
    },
  };
}

/** A step that holds a resource row, and whose revert releases it and records the output it was given. */
function resourceStep(name: string): FlowStep<unknown> {
  return {
    name,
    async run({ db, jobId }) {
      await sql`insert into flow_resource (job_id, step) values (${jobId}, ${name})`.execute(db);
      return { held: name };
    },
    async revert({ db, jobId }, output) {
      await sql`delete from flow_resource where job_id = ${jobId} and step = ${name}`.execute(db);
      await trace(db, jobId, `revert:${name}`, output);
    },
  };
}

function flow(kind: string, steps: FlowStep<unknown>[], onFailure: FlowDefinition<unknown>['onFailure'] = async () => {}): FlowDefinition<unknown> {
  return { kind, steps: () => steps, onFailure };
}

const ORDERED = flow('ordered', [
  traced('a', () => ({ n: 1 })),
  traced('b', (r) => ({ n: r.a.n + 1 })),
  traced('c', (r) => ({ n: r.b.n + 1 })),
]);

for (const backend of BACKENDS) {
  describe(`flow engine (${backend})`, () => {
    let tdb: TestDatabase;
    let db: Db;
    const live = new Set<FlowWorker>();

    async function startWorker(flows: FlowDefinition<unknown>[], options: Partial<WorkerOptions> = {}): Promise<FlowWorker> {
      const registry = new FlowRegistry();
      for (const f of flows) registry.register(f);
      const worker = new FlowWorker({
        database: tdb.database,
        flows: registry,
        log: createLogger(process.env.FULCRUM_TEST_LOG ?? 'silent'),
        concurrency: 2,
        leaseMs: 5_000,
        pollMs: 20,
        retryBaseMs: 20,
        ...options,
      });
      await worker.start();
      live.add(worker);
      return worker;
    }

    async function stopWorker(worker: FlowWorker): Promise<void> {
      live.delete(worker);
      await worker.stop();
    }

    async function enqueue(kind: string, maxAttempts = 5): Promise<string> {
      return enqueueJob(db, { kind, payload: {}, maxAttempts });
    }

    beforeEach(async () => {
      tdb = await openTestDatabase(backend);
      db = tdb.database.db;
      await createScratchTables(db);
    });

    afterEach(async () => {
      for (const w of [...live]) await stopWorker(w);
      await tdb.close();
    });

    test('steps run in order; each output is checkpointed and handed to later steps', async () => {
      const id = await enqueue('ordered');
      await startWorker([ORDERED]);
      await waitForJob(db, id, 'succeeded');
      const t = await traces(db, id);
      assert.deepEqual(t.map((r) => r.entry), ['a', 'b', 'c']);
      assert.deepEqual(t[1].detail, { a: { n: 1 } });
      assert.deepEqual(t[2].detail, { a: { n: 1 }, b: { n: 2 } });
      assert.deepEqual(await stepRows(db, id), [
        { step: 'a', output: { n: 1 }, reverted: false },
        { step: 'b', output: { n: 2 }, reverted: false },
        { step: 'c', output: { n: 3 }, reverted: false },
      ]);
    });

    test('a job whose first steps are recorded resumes at the first unfinished step', async () => {
      const id = await enqueue('ordered');
      await db
        .insertInto('job_step')
        .values([
          { job_id: id, step: 'a', output: JSON.stringify({ n: 10 }) },
          { job_id: id, step: 'b', output: JSON.stringify({ n: 20 }) },
        ])
        .execute();
      await startWorker([ORDERED]);
      await waitForJob(db, id, 'succeeded');
      const t = await traces(db, id);
      assert.deepEqual(t.map((r) => r.entry), ['c'], 'a and b must not run again');
      assert.deepEqual(t[0].detail, { a: { n: 10 }, b: { n: 20 } }, 'c sees the recorded outputs');
      const c = (await stepRows(db, id)).find((s) => s.step === 'c');
      assert.deepEqual(c?.output, { n: 21 });
    });

    test('a failing step is retried after a doubling backoff and succeeds on a later attempt', async () => {
      const baseMs = 150;
      const flaky = flow('flaky', [
        traced('a', () => 'ok'),
        {
          name: 'b',
          async run({ db: d, jobId }) {
            const tries = (await entries(d, jobId)).filter((e) => e === 'b-start').length;
            await trace(d, jobId, 'b-start');
            if (tries < 2) {
              await trace(d, jobId, 'b-fail');
              throw new Error(`transient ${tries}`);
            }
            return 'done';
          },
        },
      ]);
      const id = await enqueue('flaky', 5);
      await startWorker([flaky], { retryBaseMs: baseMs });
      const job = await waitForJob(db, id, 'succeeded');
      assert.equal(job.attempts, 3);
      assert.equal(job.last_error, null);
      const t = await traces(db, id);
      assert.deepEqual(t.map((r) => r.entry), ['a', 'b-start', 'b-fail', 'b-start', 'b-fail', 'b-start'], 'a is checkpointed, only b reruns');
      const waits = [t[3].at_ms - t[2].at_ms, t[5].at_ms - t[4].at_ms];
      assert.ok(waits[0] >= baseMs, `first retry waited ${waits[0]} ms, backoff is ${baseMs}`);
      assert.ok(waits[1] >= 2 * baseMs, `second retry waited ${waits[1]} ms, backoff is ${2 * baseMs}`);
    });

    // PGlite's pg_sleep blocks the event loop, so no renewal can be in flight during it.
    const needsSecondConnection = backend === 'pglite' && 'the race needs a renewal on a second connection';
    test('a retried job is claimed again at once, not fenced off until its lease runs out', { skip: needsSecondConnection }, async () => {
      // The retry's transaction outlasts a lease-renewal period, so a renewal is in flight
      // when the job lets go of its lease; that renewal must not poison the job's next claim
      // (which would strand it until the lease expired and count an extra attempt).
      await sql`create function slow_retry() returns trigger language plpgsql as $$
        begin perform pg_sleep(0.4); return new; end $$`.execute(db);
      await sql`create trigger slow_retry before update on job for each row when (old.state = 'running' and new.state = 'queued') execute function slow_retry()`.execute(db);
      const once = flow('once', [
        {
          name: 'a',
          async run({ db: d, jobId }) {
            const tries = (await entries(d, jobId)).length;
            await trace(d, jobId, 'a');
            if (tries === 0) throw new Error('transient');
            return 'ok';
          },
        },
      ]);
      const id = await enqueue('once', 5);
      await startWorker([once], { leaseMs: 900, retryBaseMs: 1 });
      const job = await waitForJob(db, id, 'succeeded');
      assert.equal(job.attempts, 2, 'one failed attempt and one that succeeded');
    });

    test('after the last attempt the finished steps are reverted in reverse order and onFailure records the reason', async () => {
      const doomed = flow(
        'doomed',
        [
          resourceStep('a'),
          resourceStep('b'),
          {
            name: 'c',
            async run({ db: d, jobId }) {
              await trace(d, jobId, 'c');
              throw new Error('backend unreachable');
            },
          },
        ],
        async (trx, payload, reason) => {
          await sql`update flow_item set status = 'ERROR', fault = ${reason} where id = ${(payload as { item: number }).item}`.execute(trx);
        },
      );
      const id = await db.transaction().execute(async (trx) => {
        await sql`insert into flow_item (id, status) values (1, 'PENDING')`.execute(trx);
        return enqueueJob(trx, { kind: 'doomed', payload: { item: 1 }, maxAttempts: 2 });
      });
      await startWorker([doomed]);
      const job = await waitForJob(db, id, 'failed');
      assert.equal(job.attempts, 2);
      assert.equal(job.last_error, 'backend unreachable');
      const t = await traces(db, id);
      assert.deepEqual(t.map((r) => r.entry), ['c', 'c', 'revert:b', 'revert:a']);
      assert.deepEqual(t[2].detail, { held: 'b' }, 'a revert is given its step output');
      const left = await sql`select * from flow_resource where job_id = ${id}`.execute(db);
      assert.deepEqual(left.rows, []);
      assert.deepEqual((await stepRows(db, id)).map((s) => [s.step, s.reverted]), [['a', true], ['b', true]]);
      const item = await sql`select status, fault from flow_item where id = 1`.execute(db);
      assert.deepEqual(item.rows, [{ status: 'ERROR', fault: 'backend unreachable' }]);
    });

    test("onFailure's writes commit in the same transaction that marks the job failed", async () => {
      // Marking the job failed raises once (a sequence is not rolled back), which must also
      // roll back what onFailure wrote; the job is then retried after its lease expires.
      await sql`create sequence fail_once`.execute(db);
      await sql`create function fail_once() returns trigger language plpgsql as $$
        begin
          if nextval('fail_once') = 1 then raise exception 'commit of failed state broke'; end if;
          return new;
        end $$`.execute(db);
      await sql`create trigger fail_once before update on job for each row when (new.state = 'failed') execute function fail_once()`.execute(db);
      let hookCalls = 0;
      const fragile = flow(
        'fragile',
        [
          {
            name: 'a',
            async run() {
              throw new PermanentFailure('no capacity');
            },
          },
        ],
        async (trx, _payload, reason) => {
          hookCalls++;
          await sql`insert into flow_item (id, status, fault) values (${hookCalls}, 'ERROR', ${reason})`.execute(trx);
        },
      );
      const id = await enqueue('fragile');
      await startWorker([fragile], { leaseMs: 600 });
      const job = await waitForJob(db, id, 'failed');
      assert.equal(job.last_error, 'no capacity');
      assert.equal(hookCalls, 2);
      const items = await sql`select id, status, fault from flow_item order by id`.execute(db);
      assert.deepEqual(items.rows, [{ id: 2, status: 'ERROR', fault: 'no capacity' }], 'the first hook write rolled back with the failed state');
    });

    test('a PermanentFailure skips the remaining attempts and goes straight to the reverts', async () => {
      const permanent = flow('permanent', [
        resourceStep('a'),
        {
          name: 'b',
          async run({ db: d, jobId }) {
            await trace(d, jobId, 'b');
            throw new PermanentFailure('quota exceeded');
          },
        },
      ]);
      const id = await enqueue('permanent', 5);
      await startWorker([permanent]);
      const job = await waitForJob(db, id, 'failed');
      assert.equal(job.attempts, 1);
      assert.equal(job.last_error, 'quota exceeded');
      assert.deepEqual(await entries(db, id), ['b', 'revert:a']);
    });

    test('a program that does not exist fails the job on its first attempt, with the reason as the fault', async () => {
      const missing = flow('missing-program', [
        resourceStep('a'),
        {
          name: 'b',
          async run({ db: d, jobId }) {
            await trace(d, jobId, 'b');
            // Node's own error, as any driver that runs a program gets it: nobody marked it.
            await promisify(execFile)('fulcrum-no-such-program-7f3a', ['-c']);
          },
        },
      ], async (trx, _payload, reason) => {
        await sql`insert into flow_item (id, status, fault) values (1, 'ERROR', ${reason})`.execute(trx);
      });
      const id = await enqueue('missing-program', 5);
      await startWorker([missing]);
      const job = await waitForJob(db, id, 'failed');
      assert.equal(job.attempts, 1);
      assert.match(job.last_error ?? '', /fulcrum-no-such-program-7f3a ENOENT/);
      assert.deepEqual(await entries(db, id), ['b', 'revert:a']);
      const items = await sql<{ fault: string }>`select fault from flow_item`.execute(db);
      assert.equal(items.rows.length, 1);
      assert.match(items.rows[0].fault, /fulcrum-no-such-program-7f3a/);
    });

    test('an error a lower layer marks permanent fails at once, also as the cause of another; an unmarked one is retried', async () => {
      // The agent client's marks: a configuration HAProxy refused (400) is permanent, a state
      // conflict (409) is not.
      const refused = new AgentRequestFailed('LB_ERR_AGENT_INVALID_CONFIG', 400, 'haproxy rejected the configuration: [ALERT] unknown keyword', null, true);
      const conflict = new AgentRequestFailed('LB_ERR_AGENT_APPLY_FAILED', 409, 'haproxy could not bind 127.0.0.1:80', null, false);
      const failing = (kind: string, err: Error) =>
        flow(kind, [
          {
            name: 'apply',
            async run({ db: d, jobId }) {
              await trace(d, jobId, 'apply');
              throw err;
            },
          },
        ]);
      const flows = [
        failing('refused', refused),
        failing('refused-inside', new Error('configuring amphora 1 failed', { cause: refused })),
        failing('conflict', conflict),
      ];
      const ids = { refused: await enqueue('refused', 3), inside: await enqueue('refused-inside', 3), conflict: await enqueue('conflict', 3) };
      await startWorker(flows);
      const [r, i, c] = await Promise.all([waitForJob(db, ids.refused, 'failed'), waitForJob(db, ids.inside, 'failed'), waitForJob(db, ids.conflict, 'failed')]);
      assert.deepEqual([r.attempts, r.last_error], [1, refused.message]);
      assert.deepEqual([i.attempts, i.last_error], [1, 'configuring amphora 1 failed']);
      assert.deepEqual([c.attempts, c.last_error], [3, conflict.message]);
      assert.deepEqual(await entries(db, ids.conflict), ['apply', 'apply', 'apply']);
    });

    test('a step that fails half-way undoes its own partial work: its revert runs once, with output null, before the others', async () => {
      // b holds its resource, then fails: without its own revert the resource would leak.
      const halfway = flow('halfway', [
        resourceStep('a'),
        {
          name: 'b',
          async run({ db: d, jobId }) {
            await sql`insert into flow_resource (job_id, step) values (${jobId}, 'b') on conflict do nothing`.execute(d);
            await trace(d, jobId, 'b');
            throw new Error('failed after taking the resource');
          },
          async revert({ db: d, jobId }, output) {
            await sql`delete from flow_resource where job_id = ${jobId} and step = 'b'`.execute(d);
            await trace(d, jobId, 'revert:b', output);
          },
        },
        traced('c', () => 'never'),
      ]);
      const id = await enqueue('halfway', 2);
      await startWorker([halfway]);
      const job = await waitForJob(db, id, 'failed');
      assert.equal(job.attempts, 2);
      const t = await traces(db, id);
      assert.deepEqual(t.map((r) => r.entry), ['b', 'b', 'revert:b', 'revert:a']);
      assert.equal(t[2].detail, null, 'the failed step has no output');
      const left = await sql`select step from flow_resource where job_id = ${id}`.execute(db);
      assert.deepEqual(left.rows, []);
      assert.deepEqual((await stepRows(db, id)).map((s) => [s.step, s.reverted]), [['a', true], ['b', true]]);
    });

    test('a revert that throws is retried, not marked done; the other reverts wait for it', async () => {
      const flaky = flow('flaky-revert', [
        resourceStep('a'),
        {
          name: 'b',
          async run() {
            return 'b-out';
          },
          async revert({ db: d, jobId }) {
            const tries = (await entries(d, jobId)).filter((e) => e === 'revert:b-try').length;
            await trace(d, jobId, 'revert:b-try');
            if (tries < 2) throw new Error(`agent unreachable ${tries}`);
            await trace(d, jobId, 'revert:b');
          },
        },
        {
          name: 'c',
          async run() {
            throw new PermanentFailure('no capacity');
          },
        },
      ]);
      const id = await enqueue('flaky-revert', 5);
      await startWorker([flaky]);
      const job = await waitForJob(db, id, 'failed');
      assert.equal(job.last_error, 'no capacity');
      assert.equal(job.revert_attempts, 2);
      assert.deepEqual(await entries(db, id), ['revert:b-try', 'revert:b-try', 'revert:b-try', 'revert:b', 'revert:a']);
    });

    test('a revert that keeps throwing is given up after max_attempts passes, and the fault says what was not undone', async () => {
      const stuck = flow(
        'stuck-revert',
        [
          resourceStep('a'),
          {
            name: 'b',
            async run() {
              return 'b-out';
            },
            async revert({ db: d, jobId }) {
              await trace(d, jobId, 'revert:b-try');
              throw new Error('namespace busy');
            },
          },
          {
            name: 'c',
            async run() {
              throw new PermanentFailure('no capacity');
            },
          },
        ],
        async (trx, _payload, reason) => {
          await sql`insert into flow_item (id, status, fault) values (1, 'ERROR', ${reason})`.execute(trx);
        },
      );
      const id = await enqueue('stuck-revert', 3);
      await startWorker([stuck]);
      const job = await waitForJob(db, id, 'failed');
      assert.deepEqual(await entries(db, id), ['revert:b-try', 'revert:b-try', 'revert:b-try', 'revert:a']);
      assert.equal(job.last_error, 'no capacity; not undone: b: namespace busy');
      const items = await sql`select fault from flow_item`.execute(db);
      assert.deepEqual(items.rows, [{ fault: 'no capacity; not undone: b: namespace busy' }]);
    });

    test('a worker whose lease is lost aborts the signal of the step it is running, which stops', async () => {
      const started = deferred();
      const long = flow('long', [
        {
          name: 'a',
          async run({ db: d, jobId, signal }) {
            await trace(d, jobId, 'a-start');
            started.resolve();
            const deadline = Date.now() + 20_000;
            while (!signal.aborted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
            await trace(d, jobId, signal.aborted ? 'a-aborted' : 'a-ran-out');
            signal.throwIfAborted();
            return 'a-out';
          },
        },
      ]);
      const id = await enqueue('long');
      const worker = await startWorker([long], { leaseMs: 600 });
      await started.promise;
      await sql`update job set lease_owner = 'thief', lease_expires_at = now() + interval '1 hour' where id = ${id}`.execute(db);
      await stopWorker(worker);
      assert.deepEqual(await entries(db, id), ['a-start', 'a-aborted']);
      assert.deepEqual(await stepRows(db, id), [], 'nothing of the aborted step was recorded');
      const job = await jobRow(db, id);
      assert.equal(job.lease_owner, 'thief');
      assert.equal(job.state, 'running');
      assert.equal(job.last_error, null, 'a lost lease is not a failure');
    });

    test('a flow whose plan throws is retried and then fails through onFailure, like a failing step', async () => {
      const unplannable: FlowDefinition<unknown> = {
        kind: 'unplannable',
        steps: () => {
          throw new Error('no such topology');
        },
        async onFailure(trx, _payload, reason) {
          await sql`insert into flow_item (id, status, fault) values (1, 'ERROR', ${reason})`.execute(trx);
        },
      };
      const id = await enqueue('unplannable', 2);
      await startWorker([unplannable]);
      const job = await waitForJob(db, id, 'failed');
      assert.equal(job.attempts, 2);
      assert.equal(job.last_error, 'no such topology');
      const items = await sql`select status, fault from flow_item`.execute(db);
      assert.deepEqual(items.rows, [{ status: 'ERROR', fault: 'no such topology' }]);
    });

    test('a job whose lease expired is requeued and finished by a live worker; a live lease is left alone', async () => {
      const dead = await enqueue('ordered');
      const held = await enqueue('ordered');
      // A worker that died after finishing step a, and one that is still alive elsewhere.
      await db.insertInto('job_step').values({ job_id: dead, step: 'a', output: JSON.stringify({ n: 1 }) }).execute();
      await sql`update job set state = 'running', attempts = 1, lease_owner = 'dead-worker', lease_expires_at = now() - interval '1 second' where id = ${dead}`.execute(db);
      await sql`update job set state = 'running', attempts = 1, lease_owner = 'busy-worker', lease_expires_at = now() + interval '1 hour' where id = ${held}`.execute(db);
      await startWorker([ORDERED]);
      const job = await waitForJob(db, dead, 'succeeded');
      assert.equal(job.attempts, 2);
      assert.deepEqual(await entries(db, dead), ['b', 'c']);
      const other = await jobRow(db, held);
      assert.equal(other.state, 'running');
      assert.equal(other.lease_owner, 'busy-worker');
      assert.deepEqual(await entries(db, held), []);
    });

    test('a worker that lost its lease mid-step cannot save the step or finish the job', async () => {
      const stolen = deferred();
      const steal = flow('steal', [
        traced('a', () => 'a-out'),
        {
          name: 'b',
          async run({ db: d, jobId }) {
            await sql`update job set lease_owner = 'thief', lease_expires_at = now() + interval '1 hour' where id = ${jobId}`.execute(d);
            stolen.resolve();
            return 'b-out';
          },
        },
      ]);
      const id = await enqueue('steal');
      const worker = await startWorker([steal]);
      await stolen.promise;
      // stop() waits for the running flow, so its fenced writes have been tried by now.
      await stopWorker(worker);
      assert.deepEqual((await stepRows(db, id)).map((s) => s.step), ['a']);
      const job = await jobRow(db, id);
      assert.equal(job.state, 'running');
      assert.equal(job.lease_owner, 'thief');
      assert.equal(job.last_error, null);
    });

    test('stop() lets the current step finish, then hands the job back for another worker to resume', async () => {
      const started = deferred();
      const gate = deferred();
      const slow = flow('slow', [
        {
          name: 'a',
          async run({ db: d, jobId }) {
            await trace(d, jobId, 'a');
            started.resolve();
            await gate.promise;
            return 'a-out';
          },
        },
        traced('b', () => 'b-out'),
      ]);
      const id = await enqueue('slow');
      const first = await startWorker([slow]);
      await started.promise;
      const stopping = stopWorker(first);
      gate.resolve();
      await stopping;
      const handed = await jobRow(db, id);
      assert.equal(handed.state, 'queued');
      assert.equal(handed.lease_owner, null);
      assert.equal(handed.attempts, 0, 'an interrupted attempt does not count');
      assert.deepEqual((await stepRows(db, id)).map((s) => s.step), ['a']);
      await startWorker([slow]);
      await waitForJob(db, id, 'succeeded');
      assert.deepEqual(await entries(db, id), ['a', 'b']);
    });

    test('a job of an unknown kind ends failed with a message', async () => {
      const id = await enqueue('no-such-flow');
      await startWorker([ORDERED]);
      const job = await waitForJob(db, id, 'failed');
      assert.equal(job.last_error, 'no flow is registered for job kind no-such-flow');
    });
  });
}
