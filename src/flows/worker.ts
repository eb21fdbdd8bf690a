// The flow engine's worker: claims jobs with a lease, keeps the lease alive, runs each flow
// from its first unfinished step, retries with backoff, and after the last attempt runs the
// reverts and the flow's failure hook. Any number of workers, in any number of processes,
// may share one database; all coordination is in the job table.
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import { jobsFinished, jobStepFailures } from '../observability/metrics.ts';
import { isPermanent, type FlowDefinition, type FlowRegistry, type FlowStep, type StepInput } from './flow.ts';
import {
  JOB_CHANNEL,
  claimJobs,
  finishJob,
  loadSteps,
  markStepReverted,
  postponeJob,
  postponeRevert,
  releaseJobs,
  renewLeases,
  requeueExpired,
  retryJob,
  saveStep,
  setJobError,
  withFence,
  type ClaimedJob,
} from './job-store.ts';

export interface WorkerOptions {
  database: Database;
  flows: FlowRegistry;
  log: Logger;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  /** First retry delay; doubles per attempt, capped at a minute. */
  retryBaseMs?: number;
  owner?: string;
}

class LeaseLost extends Error {}

/**
 * A flow whose plan throws fails like one whose first step does (retried, then onFailure);
 * thrown out of the runner instead, it would strand the job, reclaimed every lease forever.
 */
function planSteps(flow: FlowDefinition<unknown>, payload: unknown): FlowStep<unknown>[] {
  try {
    return flow.steps(payload);
  } catch (err) {
    return [{ name: 'plan', run: () => Promise.reject(err) }];
  }
}

export class FlowWorker {
  readonly owner: string;
  readonly #opts: Required<Omit<WorkerOptions, 'owner'>>;
  readonly #running = new Map<string, Promise<void>>();
  readonly #lost = new Set<string>();
  /** Aborted when the job's lease is lost, so the step running it stops (StepInput.signal). */
  readonly #aborts = new Map<string, AbortController>();
  /** When this worker claimed each running job (its clock), for the job's latency. */
  readonly #claimedAt = new Map<string, number>();
  #stopped = true;
  #wake: (() => void) | null = null;
  /** A wake-up that came while the loop was busy claiming: claim again before sleeping. */
  #wakePending = false;
  #unlisten: (() => Promise<void>) | null = null;
  #renewTimer: NodeJS.Timeout | null = null;
  #loop: Promise<void> | null = null;

  constructor(opts: WorkerOptions) {
    this.owner = opts.owner ?? `worker-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.#opts = { retryBaseMs: 1000, ...opts };
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#unlisten = await this.#opts.database.listen(JOB_CHANNEL, () => this.#nudge());
    this.#renewTimer = setInterval(() => void this.#renew(), Math.max(100, Math.floor(this.#opts.leaseMs / 3)));
    this.#loop = this.#run();
  }

  /**
   * Stops claiming, lets each running flow finish its current step, then hands those jobs
   * back to the queue so another worker resumes them at once instead of after the lease.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    await Promise.allSettled(this.#running.values());
    if (this.#renewTimer) clearInterval(this.#renewTimer);
    await releaseJobs(this.#opts.database.db, this.owner).catch(() => {});
    await this.#unlisten?.();
  }

  #nudge(): void {
    if (this.#wake) this.#wake();
    else this.#wakePending = true;
  }

  async #run(): Promise<void> {
    const { database, leaseMs, pollMs, concurrency, log } = this.#opts;
    let lastReap = 0;
    while (!this.#stopped) {
      try {
        if (Date.now() - lastReap > Math.min(1000, leaseMs / 2)) {
          lastReap = Date.now();
          const n = await requeueExpired(database.db);
          if (n > 0) log.info({ jobs: n }, 'requeued jobs whose lease expired');
        }
        const free = concurrency - this.#running.size;
        this.#wakePending = false;
        if (free > 0) {
          const jobs = await claimJobs(database.db, this.owner, free, leaseMs);
          for (const job of jobs) this.#start(job);
          if (jobs.length === free) continue;
        }
      } catch (err) {
        if (this.#stopped) break;
        log.error({ err }, 'job claim loop failed; retrying');
      }
      if (this.#wakePending) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  #start(job: ClaimedJob): void {
    this.#aborts.set(job.id, new AbortController());
    this.#claimedAt.set(job.id, Date.now());
    const done = this.#execute(job)
      .catch((err) => {
        if (!(err instanceof LeaseLost)) this.#opts.log.error({ err, job_id: job.id }, 'job runner failed');
      })
      .finally(() => {
        this.#running.delete(job.id);
        this.#lost.delete(job.id);
        this.#aborts.delete(job.id);
        this.#claimedAt.delete(job.id);
        this.#nudge();
      });
    this.#running.set(job.id, done);
  }

  async #renew(): Promise<void> {
    const claims = [...this.#running];
    if (claims.length === 0) return;
    try {
      const held = await renewLeases(this.#opts.database.db, this.owner, claims.map(([id]) => id), this.#opts.leaseMs);
      // A claim that ended while the renewal ran (a retry, a finish) let go of its lease
      // itself; only a claim still running has lost it. Marking the old claim would fence
      // off the next claim of the same job until its lease expired.
      for (const [id, claim] of claims) {
        if (held.has(id) || this.#running.get(id) !== claim) continue;
        this.#lost.add(id);
        this.#aborts.get(id)?.abort(new LeaseLost(`lease on job ${id} lost`));
      }
    } catch (err) {
      this.#opts.log.warn({ err }, 'lease renewal failed');
    }
  }

  /** Runs `fn` under the job's lease; a lost lease stops the flow here, writing nothing. */
  async #fenced(jobId: string, fn: Parameters<typeof withFence>[3]): Promise<void> {
    if (this.#lost.has(jobId) || !(await withFence(this.#opts.database.db, jobId, this.owner, fn))) {
      throw new LeaseLost(`lease on job ${jobId} lost`);
    }
  }

  /** Counts a job this worker finished, with its time from queued to finished. */
  #finished(job: ClaimedJob, outcome: 'succeeded' | 'failed'): void {
    const claimedAt = this.#claimedAt.get(job.id) ?? Date.now();
    jobsFinished().observe({ kind: job.kind, outcome }, (job.age_ms + Date.now() - claimedAt) / 1000);
  }

  /** First retry after retryBaseMs, doubling per attempt, at most a minute. */
  #backoff(attempt: number): number {
    return Math.min(60_000, this.#opts.retryBaseMs * 2 ** Math.max(0, attempt - 1));
  }

  async #execute(job: ClaimedJob): Promise<void> {
    const { database, flows } = this.#opts;
    const log = this.#opts.log.child({ job_id: job.id, kind: job.kind });
    const flow = flows.get(job.kind);
    if (!flow) {
      await this.#fenced(job.id, (trx) => finishJob(trx, job.id, 'failed', `no flow is registered for job kind ${job.kind}`));
      log.error('no flow registered for this job kind');
      return;
    }
    const steps = planSteps(flow, job.payload);
    const stored = await loadSteps(database.db, job.id);
    const results: Record<string, unknown> = {};
    for (const [name, s] of stored) results[name] = s.output;
    const signal = this.#aborts.get(job.id)?.signal ?? new AbortController().signal;
    const input: StepInput<unknown> = { payload: job.payload, results, db: database.db, jobId: job.id, log, signal };

    if (job.phase === 'reverting') {
      let reason = job.last_error ?? 'flow failed';
      // Steps run in order and stop at the first failure, so the first one without a record
      // is the one whose failure led here: its revert undoes what it did before failing.
      const failed = steps.find((s) => !stored.has(s.name));
      for (const step of [...steps].reverse()) {
        const saved = stored.get(step.name);
        if (saved?.reverted || (!saved && (step !== failed || !step.revert))) continue;
        try {
          if (signal.aborted) throw signal.reason;
          await step.revert?.(input, saved ? saved.output : null);
        } catch (err) {
          if (this.#lost.has(job.id)) throw new LeaseLost(`lease on job ${job.id} lost`);
          const message = err instanceof Error ? err.message : String(err);
          if (job.revert_attempts + 1 < job.max_attempts) {
            // Not marked done: the whole reverting phase runs again later, from this step.
            const delay = this.#backoff(job.revert_attempts + 1);
            log.warn({ err: message, step: step.name, revert_attempt: job.revert_attempts + 1, retry_in_ms: delay }, 'revert failed; will retry');
            await this.#fenced(job.id, (trx) => postponeRevert(trx, job.id, delay));
            return;
          }
          log.error({ err: message, step: step.name }, 'revert failed on its last attempt; leaving it undone');
          reason = `${reason}; not undone: ${step.name}: ${message}`;
          const fault = reason;
          await this.#fenced(job.id, (trx) => setJobError(trx, job.id, fault));
        }
        await this.#fenced(job.id, (trx) => markStepReverted(trx, job.id, step.name));
      }
      try {
        await this.#fenced(job.id, async (trx) => {
          await flow.onFailure(trx, job.payload, reason);
          await finishJob(trx, job.id, 'failed', reason);
        });
      } catch (err) {
        if (err instanceof LeaseLost) throw err;
        // The failure hook is what records ERROR, so there is nothing to fall back to: try
        // again later, backing off, rather than spin on a database that refuses it.
        const delay = this.#backoff(job.attempts + 1);
        log.error({ err, retry_in_ms: delay }, 'recording the failure failed; will retry');
        await this.#fenced(job.id, (trx) => postponeJob(trx, job.id, delay));
        return;
      }
      this.#finished(job, 'failed');
      log.warn({ reason }, 'flow failed and was reverted');
      return;
    }

    try {
      for (const step of steps) {
        if (stored.has(step.name)) continue;
        if (this.#lost.has(job.id) || this.#stopped) throw new LeaseLost('stopping');
        const output = (await step.run(input)) ?? null;
        if (signal.aborted) throw new LeaseLost(`lease on job ${job.id} lost`);
        await this.#fenced(job.id, (trx) => saveStep(trx, job.id, step.name, output));
        results[step.name] = output;
      }
      await this.#fenced(job.id, (trx) => finishJob(trx, job.id, 'succeeded', null));
      this.#finished(job, 'succeeded');
    } catch (err) {
      // A step that stopped because its lease was lost did not fail: the new holder goes on.
      if (err instanceof LeaseLost || this.#lost.has(job.id)) throw err instanceof LeaseLost ? err : new LeaseLost(`lease on job ${job.id} lost`);
      const message = err instanceof Error ? err.message : String(err);
      const permanent = isPermanent(err);
      const backoff = flow.retryDelayMs?.(job.attempts) ?? this.#backoff(job.attempts);
      jobStepFailures().inc({ kind: job.kind });
      log.warn({ err: message, attempt: job.attempts, permanent }, 'flow step failed');
      await this.#fenced(job.id, (trx) => retryJob(trx, job, message, backoff, permanent));
    }
  }
}
