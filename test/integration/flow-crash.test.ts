// The invariant of docs/architecture.md §2 under real kill -9: worker processes (test/harness/crash-worker.ts)
// are killed in the middle of steps, again and again, while jobs run. After recovery every
// job has finished, nothing is left PENDING, no committed row is lost, every step's side
// effect landed exactly once although interrupted steps ran again, and no two workers ever
// ran the same job at the same time. PostgreSQL runs several workers side by side; the
// embedded PGlite has one process owning the data dir, which is killed and restarted on it.
// When to kill and whom, and the workers' step durations, are drawn from a seed the test
// reports; FULCRUM_TEST_SEED=<seed> replays those choices (test/helpers/seeded-random.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { openDatabase, type Database, type Db } from '../../src/db/database.ts';
import { createPostgresDatabase, pgliteTemplate } from '../helpers/db.ts';
import { CRASH_FAULT, CRASH_STEPS, createCrashTables, enqueueCrashJob } from '../harness/crash-worker.ts';
import { SEED_ENV, seededRandom, testSeed } from '../helpers/seeded-random.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HARNESS = fileURLToPath(new URL('../harness/crash-worker.ts', import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class WorkerProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  exitedAt: number | null = null;
  exitCode: number | null = null;
  /** Steps the worker reported in progress. */
  open = 0;
  unfinished: number | null = null;
  stderr = '';

  constructor(
    url: string,
    readonly owner: string,
    seed: number,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', HARNESS, url, owner], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, [SEED_ENV]: String(seed) },
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        this.exitedAt = Date.now();
        this.exitCode = code;
        resolve();
      }),
    );
    this.ready = new Promise((resolve, reject) => {
      void this.exited.then(() => reject(new Error(`worker ${owner} exited before it was ready: ${this.stderr}`)));
      createInterface({ input: this.child.stdout! }).on('line', (line) => {
        const event = JSON.parse(line) as { ev: string; n?: number };
        if (event.ev === 'ready') resolve();
        if (event.ev === 'open') this.open = event.n!;
        if (event.ev === 'unfinished') this.unfinished = event.n!;
      });
    });
    this.ready.catch(() => {});
  }

  get alive(): boolean {
    return this.exitedAt === null;
  }
}

/** Kills, by PID, whatever a scenario left running (a failed assertion, a timeout). */
function killAll(workers: Set<WorkerProcess>): Promise<unknown> {
  const alive = [...workers].filter((w) => w.alive);
  for (const w of alive) w.child.kill('SIGKILL');
  return Promise.all(alive.map((w) => w.exited));
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | null | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface Scenario {
  url: string;
  spawned: Set<WorkerProcess>;
  name: string;
  /** Workers running side by side; each one killed is replaced at once. */
  workers: number;
  kills: number;
  /** The run's seed: kill times, victims and each worker's own seed derive from it. */
  seed: number;
}

/**
 * Runs workers until `kills` of them have been kill -9'd mid-step and the rest finished every
 * job, then stops the survivors gracefully. Returns the time each killed worker was killed.
 */
async function killWorkersWhileTheyWork(s: Scenario): Promise<Map<string, number>> {
  let n = 0;
  const random = seededRandom(s.seed);
  const start = () => {
    const w = new WorkerProcess(s.url, `${s.name}-${++n}`, (s.seed + n) >>> 0);
    s.spawned.add(w);
    return w;
  };
  let live = Array.from({ length: s.workers }, start);
  await Promise.all(live.map((w) => w.ready));
  const killedAt = new Map<string, number>();
  for (let k = 0; k < s.kills; k++) {
    await sleep(150 + random() * 600);
    const busy = await until(`a worker in the middle of a step (kill ${k + 1})`, 10_000, () => {
      const found = live.filter((w) => w.alive && w.open > 0);
      return found.length > 0 && found;
    });
    const victim = busy[Math.floor(random() * busy.length)];
    victim.child.kill('SIGKILL');
    // SIGKILL stops the victim at once; the exit event can reach us much later on a busy machine.
    killedAt.set(victim.owner, Date.now());
    await victim.exited;
    live = live.filter((w) => w !== victim);
    const replacement = start();
    live.push(replacement);
    // The embedded worker is the only one: wait for it, or there is no one to kill next.
    if (s.workers === 1) await replacement.ready;
  }
  await until('every job to finish', 45_000, () => live.some((w) => w.unfinished === 0));
  // A worker still booting would die of SIGTERM before its handler for a graceful stop is in place.
  await Promise.all(live.map((w) => w.ready));
  for (const w of live) w.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(live.map((w) => w.exited)), new Promise((r) => (timer = setTimeout(r, 15_000)))]);
  clearTimeout(timer);
  for (const w of live) assert.equal(w.exitCode, 0, `worker ${w.owner} stops cleanly on SIGTERM: ${w.stderr}`);
  return killedAt;
}

async function enqueueJobs(db: Db, count: number): Promise<void> {
  await createCrashTables(db);
  for (let item = 1; item <= count; item++) await enqueueCrashJob(db, item, item % 7 === 0);
}

interface Run {
  job_id: string;
  step: string;
  worker: string;
  started_ms: number;
  ended_ms: number | null;
}

async function assertRecovered(db: Db, count: number, killedAt: Map<string, number>): Promise<void> {
  const jobs = await db.selectFrom('job').select(['id', 'state', 'payload', 'last_error']).orderBy('id').execute();
  assert.equal(jobs.length, count, 'no committed job was lost');
  const failing = new Set<string>();
  for (const job of jobs) {
    const fail = (job.payload as { fail: boolean }).fail;
    if (fail) failing.add(String(job.id));
    assert.deepEqual([job.state, job.last_error], fail ? ['failed', CRASH_FAULT] : ['succeeded', null], `job ${job.id}`);
  }

  const items = await sql<{ id: number; status: string; fault: string | null }>`select id, status, fault from crash_item order by id`.execute(db);
  assert.equal(items.rows.length, count, 'no committed item was lost');
  assert.deepEqual(items.rows.filter((i) => i.status === 'PENDING'), [], 'nothing is left PENDING');
  for (const item of items.rows) {
    assert.deepEqual([item.status, item.fault], item.id % 7 === 0 ? ['ERROR', CRASH_FAULT] : ['ACTIVE', null], `item ${item.id}`);
  }

  // The idempotency key holds each step's effect to one row; a failed job's were reverted.
  const effects = await sql<{ job_id: string; step: string }>`select job_id, step from crash_effect`.execute(db);
  const expected = jobs.filter((j) => !failing.has(String(j.id))).flatMap((j) => CRASH_STEPS.map((step) => `${j.id}:${step}`));
  assert.deepEqual(effects.rows.map((e) => `${e.job_id}:${e.step}`).sort(), expected.sort());

  const runs = (await sql<Run>`select job_id::text, step, worker, started_ms, ended_ms from crash_run`.execute(db)).rows;
  const interrupted = runs.filter((r) => r.ended_ms === null);
  assert.ok(interrupted.length > 0, 'kill -9 interrupted steps');
  for (const r of interrupted) {
    assert.ok(killedAt.has(r.worker), `only a killed worker leaves a step unfinished (${r.worker})`);
    const rerun = runs.some((o) => o.job_id === r.job_id && o.step === r.step && o.worker !== r.worker && o.ended_ms !== null && o.started_ms > r.started_ms);
    assert.ok(rerun, `the step ${r.step} of job ${r.job_id} that ${r.worker} was killed in ran again elsewhere`);
  }

  // A killed worker's step ran until it died; every other step until it recorded its end.
  const byJob = new Map<string, { worker: string; from: number; to: number }[]>();
  for (const r of runs) {
    const spans = byJob.get(r.job_id) ?? [];
    spans.push({ worker: r.worker, from: r.started_ms, to: r.ended_ms ?? killedAt.get(r.worker)! });
    byJob.set(r.job_id, spans);
  }
  for (const [job, spans] of byJob) {
    for (const a of spans) {
      for (const b of spans) {
        if (a.worker !== b.worker && a.from < b.to && b.from < a.to) {
          assert.fail(`job ${job} ran on ${a.worker} [${a.from}, ${a.to}] and ${b.worker} [${b.from}, ${b.to}] at once`);
        }
      }
    }
  }
}

describe('flow engine under kill -9', () => {
  test('postgres: three workers side by side, eight killed mid-step and replaced', { timeout: 120_000 }, async (t) => {
    const { url, drop } = await createPostgresDatabase();
    const database = await openDatabase(url, { migrate: true, poolSize: 2 });
    const spawned = new Set<WorkerProcess>();
    t.after(async () => {
      await killAll(spawned);
      await database.close();
      await drop();
    });
    const count = 80;
    await enqueueJobs(database.db, count);
    const seed = testSeed();
    t.diagnostic(`${SEED_ENV}=${seed}`);
    const killedAt = await killWorkersWhileTheyWork({ url, spawned, name: 'pg', workers: 3, kills: 8, seed });
    await assertRecovered(database.db, count, killedAt);
  });

  test('pglite: the one worker owning the data dir, killed mid-step and restarted five times', { timeout: 120_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'fulcrum-crash-'));
    const spawned = new Set<WorkerProcess>();
    let database: Database | null = null;
    t.after(async () => {
      await killAll(spawned);
      await database?.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const url = `pglite:${dir}`;
    const count = 30;
    const initial = await openDatabase(url, { loadDataDir: await pgliteTemplate() });
    await enqueueJobs(initial.db, count);
    await initial.close();
    const seed = testSeed();
    t.diagnostic(`${SEED_ENV}=${seed}`);
    const killedAt = await killWorkersWhileTheyWork({ url, spawned, name: 'embedded', workers: 1, kills: 5, seed });
    database = await openDatabase(url);
    await assertRecovered(database.db, count, killedAt);
  });
});
