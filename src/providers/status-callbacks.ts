// The callback channel drivers report through (the shape of Octavia's provider-driver
// library): status updates and statistics. Writing them is the control plane's job, so a
// vendor driver with its own agent can report long after the flow that called it.
import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Schema } from '../db/schema.ts';
import type { StatusChange, StatusUpdate } from '../model/completion.ts';
import type { ObjectType } from '../model/operation.ts';
import { renumberL7Policies } from '../db/l7-positions.ts';
import { operatingStatusEvent } from '../model/event-types.ts';
import { ownerOf, recordEvent, type NewEvent } from '../observability/events.ts';

export interface StatusCallbacks {
  /** Applies `update`, and records `events` (what the driver did, e.g. a failover finished) in the same transaction. */
  updateStatuses(update: StatusUpdate, events?: NewEvent[]): Promise<void>;
}

const TABLES = {
  loadbalancer: 'load_balancer',
  listener: 'listener',
  pool: 'pool',
  member: 'member',
  healthmonitor: 'health_monitor',
  l7policy: 'l7policy',
  l7rule: 'l7rule',
} as const satisfies Record<ObjectType, keyof Schema>;

// Children are removed before their parents; deleted LB rows stay, marked DELETED.
const ORDER: ObjectType[] = ['member', 'healthmonitor', 'l7rule', 'l7policy', 'listener', 'pool', 'loadbalancer'];

/** Applies a status report in one transaction. `fault` is stored on every object set to ERROR. */
export async function applyStatusUpdate(trx: Transaction<Schema>, update: StatusUpdate, fault: string | null = null): Promise<void> {
  for (const type of ORDER) {
    for (const change of update[type] ?? []) await applyOne(trx, type, change, fault);
  }
}

async function applyOne(trx: Transaction<Schema>, type: ObjectType, change: StatusChange, fault: string | null): Promise<void> {
  const table = TABLES[type];
  if (change.provisioning_status === 'DELETED' && type === 'l7policy') {
    const removed = await trx.deleteFrom('l7policy').where('id', '=', change.id).returning('listener_id').executeTakeFirst();
    if (removed) await renumberL7Policies(trx, removed.listener_id);
    return;
  }
  if (change.provisioning_status === 'DELETED' && type !== 'loadbalancer') {
    await trx.deleteFrom(table).where('id', '=', change.id).execute();
    return;
  }
  if (change.provisioning_status === 'DELETED') {
    await trx.deleteFrom('listener').where('load_balancer_id', '=', change.id).execute();
    await trx.deleteFrom('pool').where('load_balancer_id', '=', change.id).execute();
    // A deleted load balancer gives its addresses back to the subnets.
    await trx.deleteFrom('ip_allocation').where('owner_id', '=', change.id).execute();
  }
  // A report of health data alone (no provisioning change) may be news: the status it replaces
  // is read under the row lock, so of two managers reporting one change, one records it.
  const healthReport = change.operating_status !== undefined && change.provisioning_status === undefined;
  const before = healthReport ? await trx.selectFrom(table).select('operating_status').where('id', '=', change.id).forUpdate().executeTakeFirst() : undefined;
  const set: Record<string, unknown> = { updated_at: sql`now()` };
  if (change.provisioning_status) {
    set.provisioning_status = change.provisioning_status;
    set.fault = change.provisioning_status === 'ERROR' ? fault : null;
  }
  if (change.operating_status) set.operating_status = change.operating_status;
  await trx.updateTable(table).set(set).where('id', '=', change.id).execute();
  const eventType =
    change.provisioning_status === 'ERROR'
      ? 'provisioning.error'
      : before && change.operating_status
        ? operatingStatusEvent(type, before.operating_status, change.operating_status)
        : null;
  if (eventType) await recordObjectEvent(trx, eventType, type, change.id, eventType === 'provisioning.error' ? { fault } : { operating_status: change.operating_status, previous: before?.operating_status });
}

/** An event about one object of the load-balancer tree, with its project and load balancer. */
async function recordObjectEvent(trx: Transaction<Schema>, eventType: string, type: ObjectType, id: string, detail: Record<string, unknown>): Promise<void> {
  const owner = await ownerOf(trx, type, id);
  if (!owner) return;
  await recordEvent(trx, {
    type: eventType,
    projectId: owner.projectId,
    loadBalancerId: owner.loadBalancerId,
    detail: { object_type: type, object_id: id, [`${type}_id`]: id, loadbalancer_id: owner.loadBalancerId, ...detail },
  });
}

export class DbStatusCallbacks implements StatusCallbacks {
  constructor(private readonly db: Db) {}

  async updateStatuses(update: StatusUpdate, events: NewEvent[] = []): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await applyStatusUpdate(trx, update);
      for (const event of events) await recordEvent(trx, event);
    });
  }
}
