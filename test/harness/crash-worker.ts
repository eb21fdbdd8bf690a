// A flow worker in its own process, for the kill -9 tests (test/integration/flow-crash.test.ts):
//   node --import tsx test/harness/crash-worker.ts <database-url> <owner>
// Its random step durations come from FULCRUM_TEST_SEED (test/helpers/seeded-random.ts), which
// the test sets per worker, so a failing run can be replayed.
// It runs the crash-test flow until SIGTERM (graceful stop) or SIGKILL. Each step records
// every execution in crash_run (wall-clock interval, owner), so the test can see re-runs and
// check that two workers never ran a job at the same time, and applies its side effect to
// crash_effect under an idempotency key (job, step), so a re-run does not apply it twice.
// stdout carries JSON lines: {ev:'ready'}, {ev:'open',n} (steps in progress) and
// {ev:'unfinished',n} (queued or running jobs in the whole database).
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { openDatabase, type Database, type Db } from '../../src/db/database.ts';
import { ConfigError } from '../../src/errors.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { FlowRegistry, type FlowDefinition, type FlowStep } from '../../src/flows/flow.ts';
import { enqueueJob } from '../../src/flows/job-store.ts';
import { FlowWorker } from '../../src/flows/worker.ts';
import { seededRandom, testSeed } from '../helpers/seeded-random.ts';

const CRASH_FLOW = 'crash-test';
export const CRASH_STEPS = ['reserve', 'configure', 'activate'];
export const CRASH_FAULT = 'device rejected the configuration';
// Renewed every second: a worker must stall for two seconds on a busy machine to lose its lease.
const CRASH_LEASE_MS = 3000;
/** Short enough that a restart after kill -9 waits about a second for the embedded dir's lock. */
const CRASH_LOCK_STALE_MS = 2000;

interface CrashPayload {
  item: number;
  fail: boolean;
}

export async function createCrashTables(db: Db): Promise<void> {
  await sql`create table crash_item (id integer primary key, status text not null, fault text)`.execute(db);
  await sql`create table crash_effect (job_id bigint not null, step text not null, primary key (job_id, step))`.execute(db);
  await sql`create table crash_run (id bigserial primary key, job_id bigint not null, step text not null, worker text not null,
    started_ms double precision not null, ended_ms double precision)`.execute(db);
}

/** The item goes PENDING in the transaction that enqueues its job, as the API does. */
export async function enqueueCrashJob(db: Db, item: number, fail: boolean): Promise<string> {
  return db.transaction().execute(async (trx) => {
    await sql`insert into crash_item (id, status) values (${item}, 'PENDING')`.execute(trx);
    return enqueueJob(trx, { kind: CRASH_FLOW, payload: { item, fail } satisfies CrashPayload, maxAttempts: 2 });
  });
}

const random = seededRandom(testSeed());
const pause = (maxMs: number) => new Promise((r) => setTimeout(r, 5 + random() * maxMs));

function crashFlow(owner: string, onOpen: (delta: number) => void): FlowDefinition<CrashPayload> {
  const step = (name: string): FlowStep<CrashPayload> => ({
    name,
    async run({ db, jobId, payload }) {
      onOpen(1);
      const run = await sql<{ id: string }>`insert into crash_run (job_id, step, worker, started_ms)
        values (${jobId}, ${name}, ${owner}, ${Date.now()}) returning id`.execute(db);
      try {
        await pause(120);
        if (name === 'configure' && payload.fail) throw new Error(CRASH_FAULT);
        await sql`insert into crash_effect (job_id, step) values (${jobId}, ${name}) on conflict do nothing`.execute(db);
        if (name === 'activate') await sql`update crash_item set status = 'ACTIVE' where id = ${payload.item}`.execute(db);
        await pause(120);
        return { by: owner };
      } finally {
        await sql`update crash_run set ended_ms = ${Date.now()} where id = ${run.rows[0].id}`.execute(db);
        onOpen(-1);
      }
    },
    async revert({ db, jobId }) {
      await sql`delete from crash_effect where job_id = ${jobId} and step = ${name}`.execute(db);
    },
  });
  return {
    kind: CRASH_FLOW,
    steps: () => CRASH_STEPS.map(step),
    async onFailure(trx, payload, reason) {
      await sql`update crash_item set status = 'ERROR', fault = ${reason} where id = ${payload.item}`.execute(trx);
    },
  };
}

/** Opens the database; an embedded dir still locked by a killed process is retried until its lock goes stale. */
async function openWhenUnlocked(url: string): Promise<Database> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await openDatabase(url, { lockStaleMs: CRASH_LOCK_STALE_MS });
    } catch (err) {
      if (!(err instanceof ConfigError) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function main(url: string, owner: string): Promise<void> {
  const emit = (event: object) => process.stdout.write(`${JSON.stringify(event)}\n`);
  const database = await openWhenUnlocked(url);
  let inProgress = 0;
  const flows = new FlowRegistry().register(
    crashFlow(owner, (delta) => {
      inProgress += delta;
      emit({ ev: 'open', n: inProgress });
    }),
  );
  const worker = new FlowWorker({
    database,
    flows,
    log: createLogger(process.env.FULCRUM_TEST_LOG ?? 'silent', owner),
    owner,
    concurrency: 3,
    leaseMs: CRASH_LEASE_MS,
    pollMs: 50,
    retryBaseMs: 50,
  });
  await worker.start();
  const report = setInterval(() => {
    void sql<{ n: number }>`select count(*)::int as n from job where state in ('queued', 'running')`
      .execute(database.db)
      .then((r) => emit({ ev: 'unfinished', n: r.rows[0].n }), () => {});
  }, 200);
  process.once('SIGTERM', () => {
    clearInterval(report);
    void worker
      .stop()
      .then(() => database.close())
      .then(() => process.exit(0));
  });
  emit({ ev: 'ready' });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [url, owner] = process.argv.slice(2);
  if (!url || !owner) {
    process.stderr.write('usage: crash-worker.ts <database-url> <owner>\n');
    process.exit(2);
  }
  main(url, owner).catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
