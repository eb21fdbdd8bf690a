// What a durable flow is: an ordered list of named, idempotent steps, each with an optional
// revert, plus what to record when the flow finally fails. The engine (worker.ts) runs them.
import type { Transaction } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Schema } from '../db/schema.ts';
import type { Logger } from '../observability/logger.ts';

export interface StepInput<P> {
  payload: P;
  /** Outputs of the steps that finished before this one, by step name. */
  results: Record<string, unknown>;
  db: Db;
  jobId: string;
  log: Logger;
  /**
   * Aborted when this worker lost the job's lease (another worker has it now): a long step
   * checks it between its parts and stops, since nothing it does from then on is recorded.
   */
  signal: AbortSignal;
}

export interface FlowStep<P> {
  name: string;
  /** Must be idempotent: after a crash it may run again. Its output must be JSON. */
  run(input: StepInput<P>): Promise<unknown>;
  /**
   * Undoes the step when the flow fails for good, in reverse order. It also runs for the step
   * whose failure ended the flow, with `output` null: it must undo whatever part of `run`
   * happened. A revert that throws is retried later (up to the job's max_attempts passes); it
   * is not marked done until it returns.
   */
  revert?(input: StepInput<P>, output: unknown): Promise<void>;
}

export interface FlowDefinition<P> {
  kind: string;
  steps(payload: P): FlowStep<P>[];
  /**
   * Runs after the reverts, in the transaction that marks the job failed. It must write
   * through `trx` only: on the embedded database that transaction holds the one connection.
   */
  onFailure(trx: Transaction<Schema>, payload: P, reason: string): Promise<void>;
  /** The wait before the next attempt after `attempt` failed ones; the worker's own backoff when absent. */
  retryDelayMs?(attempt: number): number;
}

/**
 * A failure that no retry can cure: the flow goes straight to its reverts on the attempt that
 * raised it, with its message as the fault. Steps throw this one; the layers below the flows
 * (agent client, compute and network drivers) cannot import it and mark their own errors with
 * a `permanent: true` property instead, which `isPermanent` honours alike.
 */
export class PermanentFailure extends Error {
  readonly permanent = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentFailure';
  }
}

/** Node's error for a program that could not be started because it does not exist. */
function isMissingProgram(err: { code?: unknown; syscall?: unknown }): boolean {
  return err.code === 'ENOENT' && typeof err.syscall === 'string' && err.syscall.startsWith('spawn');
}

/**
 * Whether retrying cannot help: the error, or any error in its `cause` chain, is marked
 * permanent or is a program that is not installed (ENOENT from spawn: the next attempt would
 * find it missing too).
 */
export function isPermanent(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = err; typeof e === 'object' && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const marked = e as { permanent?: unknown; code?: unknown; syscall?: unknown };
    if (marked.permanent === true || isMissingProgram(marked)) return true;
  }
  return false;
}

export class FlowRegistry {
  readonly #flows = new Map<string, FlowDefinition<unknown>>();

  register<P>(flow: FlowDefinition<P>): this {
    if (this.#flows.has(flow.kind)) throw new Error(`flow ${flow.kind} is registered twice`);
    this.#flows.set(flow.kind, flow as FlowDefinition<unknown>);
    return this;
  }

  get(kind: string): FlowDefinition<unknown> | undefined {
    return this.#flows.get(kind);
  }
}
