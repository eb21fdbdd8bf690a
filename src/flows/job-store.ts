// The job and job_step tables: every SQL statement the flow engine runs. Each write that
// follows a claim is fenced: it only lands while this worker still holds the job's lease.
import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Schema } from '../db/schema.ts';

export const JOB_CHANNEL = 'fulcrum_jobs';

export interface ClaimedJob {
  id: string;
  kind: string;
  payload: unknown;
  phase: 'forward' | 'reverting';
  attempts: number;
  max_attempts: number;
  revert_attempts: number;
  last_error: string | null;
  /** How long ago the job was queued, at the claim (the database's clock). */
  age_ms: number;
}

export interface StoredStep {
  step: string;
  output: unknown;
  reverted: boolean;
}

export type Executor = Db | Transaction<Schema>;

/** Inserts a job in the caller's transaction and wakes workers when that transaction commits. */
export async function enqueueJob(
  trx: Executor,
  job: { kind: string; payload: unknown; loadBalancerId?: string | null; maxAttempts: number; priority?: number; dedupeKey?: string },
): Promise<string> {
  const row = await trx
    .insertInto('job')
    .values({
      kind: job.kind,
      payload: JSON.stringify(job.payload),
      load_balancer_id: job.loadBalancerId ?? null,
      max_attempts: job.maxAttempts,
      priority: job.priority ?? 0,
      dedupe_key: job.dedupeKey ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await sql`select pg_notify(${JOB_CHANNEL}, ${String(row.id)})`.execute(trx);
  return String(row.id);
}

export async function claimJobs(db: Db, owner: string, limit: number, leaseMs: number): Promise<ClaimedJob[]> {
  const result = await sql<Omit<ClaimedJob, 'age_ms'> & { age_ms: string | number }>`
    with c as (
      select id from job
      where state = 'queued' and run_after <= now()
      order by priority desc, run_after, id
      for update skip locked
      limit ${limit}
    )
    update job j set state = 'running', attempts = j.attempts + (case when j.phase = 'forward' then 1 else 0 end),
      lease_owner = ${owner}, lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000}),
      updated_at = now()
    from c where j.id = c.id
    returning j.id, j.kind, j.payload, j.phase, j.attempts, j.max_attempts, j.revert_attempts, j.last_error,
      extract(epoch from now() - j.created_at) * 1000 as age_ms`.execute(db);
  return result.rows.map((r) => ({ ...r, id: String(r.id), age_ms: Number(r.age_ms) }));
}

/** Extends the leases this worker holds; returns the ids it still owns. */
export async function renewLeases(db: Db, owner: string, ids: string[], leaseMs: number): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .updateTable('job')
    .set({ lease_expires_at: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where('id', 'in', ids)
    .where('lease_owner', '=', owner)
    .where('state', '=', 'running')
    .returning('id')
    .execute();
  return new Set(rows.map((r) => String(r.id)));
}

/** Puts jobs whose worker died (lease expired) back in the queue. */
export async function requeueExpired(db: Db): Promise<number> {
  const result = await db
    .updateTable('job')
    .set({ state: 'queued', lease_owner: null, lease_expires_at: null, updated_at: sql`now()` })
    .where('state', '=', 'running')
    .where('lease_expires_at', '<', sql<Date>`now()`)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Hands a stopping worker's jobs back to the queue; an interrupted attempt does not count. */
export async function releaseJobs(db: Db, owner: string): Promise<void> {
  await db
    .updateTable('job')
    .set({
      state: 'queued',
      attempts: sql`case when phase = 'forward' then greatest(attempts - 1, 0) else attempts end`,
      lease_owner: null,
      lease_expires_at: null,
      updated_at: sql`now()`,
    })
    .where('state', '=', 'running')
    .where('lease_owner', '=', owner)
    .execute();
}

export async function loadSteps(db: Db, jobId: string): Promise<Map<string, StoredStep>> {
  const rows = await db.selectFrom('job_step').select(['step', 'output', 'reverted']).where('job_id', '=', jobId).execute();
  return new Map(rows.map((r) => [r.step, r]));
}

/**
 * Runs `fn` in a transaction only while `owner` holds the job's lease. Returns false, and
 * writes nothing, when the lease was lost (another worker has the job now).
 */
export async function withFence(
  db: Db,
  jobId: string,
  owner: string,
  fn: (trx: Transaction<Schema>) => Promise<void>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const held = await trx
      .selectFrom('job')
      .select('id')
      .where('id', '=', jobId)
      .where('lease_owner', '=', owner)
      .where('state', '=', 'running')
      .forUpdate()
      .executeTakeFirst();
    if (!held) return false;
    await fn(trx);
    return true;
  });
}

export async function saveStep(trx: Transaction<Schema>, jobId: string, step: string, output: unknown): Promise<void> {
  await trx
    .insertInto('job_step')
    .values({ job_id: jobId, step, output: JSON.stringify(output ?? null) })
    .onConflict((oc) => oc.columns(['job_id', 'step']).doNothing())
    .execute();
}

/** Marks the step's revert done; a step that failed part-way (no row yet) gets one, output null. */
export async function markStepReverted(trx: Transaction<Schema>, jobId: string, step: string): Promise<void> {
  await trx
    .insertInto('job_step')
    .values({ job_id: jobId, step, output: JSON.stringify(null), reverted: true })
    .onConflict((oc) => oc.columns(['job_id', 'step']).doUpdateSet({ reverted: true }))
    .execute();
}

/** A revert threw: the reverting phase is tried again after `delayMs`, counted in revert_attempts. */
export function postponeRevert(trx: Transaction<Schema>, jobId: string, delayMs: number): Promise<void> {
  return requeueLater(trx, jobId, delayMs, 'revert_attempts');
}

/** The fault the reverting phase reports, once a revert was given up on. */
export async function setJobError(trx: Transaction<Schema>, jobId: string, error: string): Promise<void> {
  await trx.updateTable('job').set({ last_error: error }).where('id', '=', jobId).execute();
}

export async function finishJob(trx: Transaction<Schema>, jobId: string, state: 'succeeded' | 'failed', error: string | null): Promise<void> {
  await trx
    .updateTable('job')
    .set({ state, last_error: error, lease_owner: null, lease_expires_at: null, updated_at: sql`now()`, finished_at: sql`now()` })
    .where('id', '=', jobId)
    .execute();
}

/** Gives the job back to the queue after a failed attempt, or moves it to its revert phase. */
export async function retryJob(
  trx: Transaction<Schema>,
  job: ClaimedJob,
  error: string,
  backoffMs: number,
  permanent: boolean,
): Promise<void> {
  const exhausted = permanent || job.attempts >= job.max_attempts;
  await trx
    .updateTable('job')
    .set({
      state: 'queued',
      phase: exhausted ? 'reverting' : job.phase,
      last_error: error,
      lease_owner: null,
      lease_expires_at: null,
      run_after: sql`now() + make_interval(secs => ${exhausted ? 0 : backoffMs / 1000})`,
      updated_at: sql`now()`,
    })
    .where('id', '=', job.id)
    .execute();
  await sql`select pg_notify(${JOB_CHANNEL}, ${job.id})`.execute(trx);
}

/** Gives the job back to the queue in its current phase, to be tried again after `delayMs`. */
export function postponeJob(trx: Transaction<Schema>, jobId: string, delayMs: number): Promise<void> {
  return requeueLater(trx, jobId, delayMs, 'attempts');
}

/** Back to the queue in its current phase after `delayMs`, one more in `counter`. */
async function requeueLater(trx: Transaction<Schema>, jobId: string, delayMs: number, counter: 'attempts' | 'revert_attempts'): Promise<void> {
  await trx
    .updateTable('job')
    .set({
      state: 'queued',
      [counter]: sql`${sql.ref(counter)} + 1`,
      lease_owner: null,
      lease_expires_at: null,
      run_after: sql`now() + make_interval(secs => ${delayMs / 1000})`,
      updated_at: sql`now()`,
    })
    .where('id', '=', jobId)
    .execute();
}
