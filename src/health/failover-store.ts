// The circuit breakers' rows and the automatic failover queue. Time is the database's clock,
// shared by every health manager process.
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { enqueueJob } from '../flows/job-store.ts';
import { PROVIDER_OPERATION } from '../flows/provider-flow.ts';
import { failoverOperation } from '../model/operation.ts';
import { recordEvent } from '../observability/events.ts';
import type { DomainState } from './circuit-breaker.ts';

/** Failovers are claimed before every other job (creates have priority 0). */
export const FAILOVER_PRIORITY = 100;
const FAILOVER_KEY_PREFIX = 'failover:';

export interface BreakerRow {
  domain: string;
  open: boolean;
  reason: string | null;
  silent: number;
  total: number;
  opened_at: Date | null;
  closed_at: Date | null;
  reset_at: Date | null;
  updated_at: Date;
}

export async function breakerRows(db: Db): Promise<BreakerRow[]> {
  return db.selectFrom('failover_breaker').selectAll().orderBy('domain').execute();
}

/** Locks a domain's breaker, row or not yet, and says whether it is open now (false when it has no row). */
export async function lockBreaker(db: Db, domain: string): Promise<boolean> {
  // A lock on the domain's name, not on its row: before a domain first trips it has no row to
  // lock, and two managers would both find it closed and both record the trip.
  await sql`select pg_advisory_xact_lock(hashtext(${`failover_breaker:${domain}`}))`.execute(db);
  const row = await db.selectFrom('failover_breaker').select('open').where('domain', '=', domain).forUpdate().executeTakeFirst();
  return row?.open ?? false;
}

/** Stores a domain's state when it opened, closed, or (open) its counts changed. Returns whether it wrote. */
export async function saveBreaker(db: Db, state: DomainState, previous: BreakerRow | undefined): Promise<boolean> {
  const opened = state.open && !previous?.open;
  const closed = !state.open && previous?.open === true;
  const moved = state.open && previous?.open === true && (previous.silent !== state.silent || previous.total !== state.total);
  if (!opened && !closed && !moved) return false;
  await db
    .insertInto('failover_breaker')
    .values({ domain: state.domain, open: state.open, reason: state.reason, silent: state.silent, total: state.total, opened_at: state.open ? sql<Date>`now()` : null })
    .onConflict((oc) =>
      oc.column('domain').doUpdateSet({
        open: state.open,
        silent: state.silent,
        total: state.total,
        updated_at: sql<Date>`now()`,
        ...(opened ? { reason: state.reason, opened_at: sql<Date>`now()` } : {}),
        ...(closed ? { reason: `closed: heartbeats returned (${state.silent} of ${state.total} silent)`, closed_at: sql<Date>`now()` } : {}),
      }),
    )
    .execute();
  return true;
}

/** An operator lets the amphorae silent now be failed over; returns the row, or null for an unknown domain. */
export async function resetBreaker(db: Db, domain: string): Promise<BreakerRow | null> {
  const row = await db
    .updateTable('failover_breaker')
    .set({ open: false, reset_at: sql<Date>`now()`, closed_at: sql<Date>`now()`, reason: 'reset by an operator: amphorae silent at the reset may be failed over', updated_at: sql<Date>`now()` })
    .where('domain', '=', domain)
    .returningAll()
    .executeTakeFirst();
  return row ?? null;
}

/** Automatic failovers queued or running. */
export async function failoversInFlight(db: Db): Promise<number> {
  const row = await db
    .selectFrom('job')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('dedupe_key', 'like', `${FAILOVER_KEY_PREFIX}%`)
    .where('state', 'in', ['queued', 'running'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Queues the failover of one amphora as the operator API does (the load balancer goes
 * PENDING_UPDATE in the same transaction), unless its load balancer is no longer ACTIVE or a
 * failover of this amphora is already queued or running: the conditional update and the
 * unique dedupe key make sure that of several managers deciding at once, one job results.
 */
export async function enqueueFailover(db: Db, target: { amphoraId: string; loadBalancerId: string; reason: string; maxAttempts: number }): Promise<string | null> {
  try {
    return await db.transaction().execute(async (trx) => {
      const lb = await trx
        .updateTable('load_balancer')
        .set({ provisioning_status: 'PENDING_UPDATE', updated_at: new Date() })
        .where('id', '=', target.loadBalancerId)
        .where('provisioning_status', '=', 'ACTIVE')
        .returning(['id', 'provider', 'project_id'])
        .executeTakeFirst();
      if (!lb) return null;
      const op = failoverOperation(lb, target.amphoraId);
      await trx.updateTable('amphora').set({ fault: target.reason, updated_at: new Date() }).where('id', '=', target.amphoraId).execute();
      const jobId = await enqueueJob(trx, {
        kind: PROVIDER_OPERATION,
        payload: op,
        loadBalancerId: lb.id,
        maxAttempts: target.maxAttempts,
        priority: FAILOVER_PRIORITY,
        dedupeKey: `${FAILOVER_KEY_PREFIX}${target.amphoraId}`,
      });
      await recordEvent(trx, {
        type: 'failover.started',
        projectId: lb.project_id,
        loadBalancerId: lb.id,
        detail: { loadbalancer_id: lb.id, amphora_id: target.amphoraId, reason: target.reason, automatic: true, job_id: jobId },
      });
      return jobId;
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23505') return null;
    throw err;
  }
}
