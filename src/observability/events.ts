// Recording an event: one row in the caller's transaction, so the event exists exactly when the
// change it reports committed, plus, for every webhook that wants it, a delivery row and the
// job that delivers it (webhook-delivery.ts), in that same transaction. Callable from any layer
// above the database: flows, providers, the health manager, housekeeping and the API.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { enqueueJob, type Executor } from '../flows/job-store.ts';
import { severityOf, type Severity } from '../model/event-types.ts';
import { hookMatches } from '../model/webhook-rules.ts';

export const WEBHOOK_DELIVERY = 'webhook-delivery';
/**
 * Deliveries are claimed after the tenants' own operations (priority 0) and failovers: a burst
 * of events never delays the work that settles a load balancer.
 */
export const WEBHOOK_DELIVERY_PRIORITY = -10;
/**
 * The job's own limit is only a backstop: the delivery step dead-letters after the configured
 * number of attempts (FULCRUM_WEBHOOK_MAX_ATTEMPTS, read by the worker that delivers).
 */
export const WEBHOOK_JOB_MAX_ATTEMPTS = 1000;

export interface NewEvent {
  type: string;
  projectId: string | null;
  loadBalancerId: string | null;
  /** The ids of the objects involved, and what else explains the event (a fault, a reason). */
  detail: Record<string, unknown>;
  /** A repeat with the same key records nothing (a step run again, a periodic check). */
  dedupeKey?: string;
  /** The catalogue's severity for the type when absent. */
  severity?: Severity;
}

export interface DeliveryPayload {
  delivery_id: string;
}

/** Records `event` in `trx` and queues its webhook deliveries. Returns its id, or null for a repeat. */
export async function recordEvent(trx: Executor, event: NewEvent): Promise<string | null> {
  const id = randomUUID();
  const inserted = await trx
    .insertInto('event')
    .values({
      id,
      type: event.type,
      severity: event.severity ?? severityOf(event.type),
      project_id: event.projectId,
      load_balancer_id: event.loadBalancerId,
      detail: JSON.stringify(event.detail),
      dedupe_key: event.dedupeKey ?? null,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return null;
  await queueDeliveries(trx, { id, type: event.type, project_id: event.projectId });
  return id;
}

/** `recordEvent` in a transaction of its own, for a change that was committed on its own already. */
export function recordEventNow(db: Db, event: NewEvent): Promise<string | null> {
  return db.transaction().execute((trx) => recordEvent(trx, event));
}

async function queueDeliveries(trx: Executor, event: { id: string; type: string; project_id: string | null }): Promise<void> {
  const candidates = await trx
    .selectFrom('webhook')
    .select(['id', 'project_id', 'event_types'])
    .where((eb) => (event.project_id === null ? eb('project_id', 'is', null) : eb.or([eb('project_id', 'is', null), eb('project_id', '=', event.project_id)])))
    .execute();
  for (const hook of candidates.filter((h) => hookMatches({ project_id: h.project_id, event_types: h.event_types ?? [] }, event))) {
    const deliveryId = randomUUID();
    await trx.insertInto('webhook_delivery').values({ id: deliveryId, webhook_id: hook.id, event_id: event.id }).execute();
    const payload: DeliveryPayload = { delivery_id: deliveryId };
    await enqueueJob(trx, { kind: WEBHOOK_DELIVERY, payload, maxAttempts: WEBHOOK_JOB_MAX_ATTEMPTS, priority: WEBHOOK_DELIVERY_PRIORITY });
  }
}

/** Where an object of the load-balancer tree belongs: its project and its load balancer. */
export interface ObjectOwner {
  projectId: string;
  loadBalancerId: string;
}

const OWNER_QUERIES: Record<string, (id: string) => ReturnType<typeof sql<{ project_id: string; load_balancer_id: string }>>> = {
  loadbalancer: (id) => sql`select project_id, id as load_balancer_id from load_balancer where id = ${id}`,
  listener: (id) => sql`select project_id, load_balancer_id from listener where id = ${id}`,
  pool: (id) => sql`select project_id, load_balancer_id from pool where id = ${id}`,
  member: (id) => sql`select m.project_id, p.load_balancer_id from member m join pool p on p.id = m.pool_id where m.id = ${id}`,
  healthmonitor: (id) => sql`select h.project_id, p.load_balancer_id from health_monitor h join pool p on p.id = h.pool_id where h.id = ${id}`,
  l7policy: (id) => sql`select r.project_id, l.load_balancer_id from l7policy r join listener l on l.id = r.listener_id where r.id = ${id}`,
  l7rule: (id) =>
    sql`select r.project_id, l.load_balancer_id from l7rule r join l7policy p on p.id = r.l7policy_id join listener l on l.id = p.listener_id where r.id = ${id}`,
};

/** The project and load balancer of object `id` of kind `type`, or null when it is gone. */
export async function ownerOf(db: Db | Executor, type: string, id: string): Promise<ObjectOwner | null> {
  const query = Object.hasOwn(OWNER_QUERIES, type) ? OWNER_QUERIES[type] : undefined;
  if (!query) return null;
  const row = (await query(id).execute(db)).rows[0];
  return row ? { projectId: row.project_id, loadBalancerId: row.load_balancer_id } : null;
}
