// The write path of every tenant change (docs/architecture.md §2): one transaction that checks and sets the
// load balancer's lock, writes the rows and inserts the job that carries the change out.
// Nothing is sent to a driver here; the job's commit is what wakes a worker.
import { sql, type Transaction } from 'kysely';
import type { Schema } from '../db/schema.ts';
import type { LoadBalancerTable } from '../db/schema.ts';
import type { Selectable } from 'kysely';
import { ImmutableObject, InvalidLoadBalancerState, NotFound } from '../errors.ts';
import type { ObjectRef, ObjectType, ProviderOperation } from '../model/operation.ts';
import { enqueueJob } from '../flows/job-store.ts';
import { PROVIDER_OPERATION } from '../flows/provider-flow.ts';
import type { ApiDeps } from './deps.ts';

export type Trx = Transaction<Schema>;
export type LoadBalancerRow = Selectable<LoadBalancerTable>;

export const TABLE_OF = {
  loadbalancer: 'load_balancer',
  listener: 'listener',
  pool: 'pool',
  member: 'member',
  healthmonitor: 'health_monitor',
  l7policy: 'l7policy',
  l7rule: 'l7rule',
} as const satisfies Record<ObjectType, keyof Schema>;

export const NOW = sql<Date>`now()`;

async function lockRow(trx: Trx, lbId: string): Promise<LoadBalancerRow> {
  const lb = await trx.selectFrom('load_balancer').selectAll().where('id', '=', lbId).forUpdate().executeTakeFirst();
  if (!lb || lb.provisioning_status === 'DELETED') throw new NotFound('Load Balancer', lbId);
  return lb;
}

/**
 * Locks the load balancer for a change to one of its children: it must be ACTIVE (409
 * "immutable" otherwise), and becomes PENDING_UPDATE in this transaction.
 */
export async function lockForChild(trx: Trx, lbId: string): Promise<LoadBalancerRow> {
  const lb = await lockRow(trx, lbId);
  if (lb.provisioning_status !== 'ACTIVE') throw new ImmutableObject('Load Balancer', lbId);
  await trx.updateTable('load_balancer').set({ provisioning_status: 'PENDING_UPDATE' }).where('id', '=', lbId).execute();
  return lb;
}

/** Locks the load balancer for an operation on itself (update, delete, failover). */
export async function lockForSelf(
  trx: Trx,
  lbId: string,
  allowed: readonly string[],
  pending: 'PENDING_UPDATE' | 'PENDING_DELETE',
): Promise<LoadBalancerRow> {
  const lb = await lockRow(trx, lbId);
  if (!allowed.includes(lb.provisioning_status)) throw new InvalidLoadBalancerState(lb.provisioning_status, lbId);
  await trx.updateTable('load_balancer').set({ provisioning_status: pending }).where('id', '=', lbId).execute();
  return lb;
}

/** A parent below the LB (pool, L7 policy) that must itself be ACTIVE for the change. */
export function requireActive(resource: string, row: { id: string; provisioning_status: string }): void {
  if (row.provisioning_status !== 'ACTIVE') throw new ImmutableObject(resource, row.id);
}

export async function setPending(trx: Trx, refs: ObjectRef[], status: 'PENDING_UPDATE' | 'PENDING_DELETE'): Promise<void> {
  for (const r of refs) {
    await trx.updateTable(TABLE_OF[r.type]).set({ provisioning_status: status }).where('id', '=', r.id).execute();
  }
}

/** Returns the job's id. */
export async function enqueueOperation(trx: Trx, deps: ApiDeps, op: ProviderOperation): Promise<string> {
  return enqueueJob(trx, { kind: PROVIDER_OPERATION, payload: op, loadBalancerId: op.loadBalancerId, maxAttempts: deps.config.jobMaxAttempts });
}

/**
 * The listeners that use a pool (as default pool or through an L7 policy redirecting to it),
 * which a pool change also locks.
 */
export async function listenersOfPool(trx: Trx, poolId: string): Promise<string[]> {
  const rows = await trx.selectFrom('listener').select('id').where('default_pool_id', '=', poolId).execute();
  const redirecting = await trx.selectFrom('l7policy').select('listener_id').where('redirect_pool_id', '=', poolId).execute();
  return [...new Set([...rows.map((r) => r.id), ...redirecting.map((r) => r.listener_id)])];
}

/**
 * Locks for a change to a pool's member or monitor (docs/octavia-compatibility.md §4.2): the LB must be ACTIVE and
 * so must the pool (409 "Pool <id> is immutable…"); the pool and its listeners become
 * PENDING_UPDATE with the LB. Returns the LB and the refs to unlock on completion.
 */
export async function lockPoolForChild(trx: Trx, pool: { id: string; load_balancer_id: string }): Promise<{ lb: LoadBalancerRow; locked: ObjectRef[] }> {
  const lb = await lockForChild(trx, pool.load_balancer_id);
  const current = await trx.selectFrom('pool').select(['id', 'provisioning_status']).where('id', '=', pool.id).executeTakeFirst();
  if (!current) throw new NotFound('Pool', pool.id);
  requireActive('Pool', current);
  const listeners = await listenersOfPool(trx, pool.id);
  const locked: ObjectRef[] = [{ type: 'pool', id: pool.id }, ...listeners.map((id): ObjectRef => ({ type: 'listener', id }))];
  await setPending(trx, locked, 'PENDING_UPDATE');
  return { lb, locked };
}

/**
 * Locks for a change to an L7 policy's rule (docs/octavia-compatibility.md §4.2): the policy must be ACTIVE (409
 * "L7Policy <id> is immutable…", checked first as Octavia does) and so must the LB; the policy
 * and its listener become PENDING_UPDATE with the LB. The LB row is locked before anything is
 * read, as every other write does, so two writers never wait on each other in turn.
 */
export async function lockL7PolicyForChild(trx: Trx, policyId: string, lbId: string): Promise<{ lb: LoadBalancerRow; locked: ObjectRef[] }> {
  const lb = await lockRow(trx, lbId);
  const policy = await trx.selectFrom('l7policy').select(['id', 'provisioning_status', 'listener_id']).where('id', '=', policyId).executeTakeFirst();
  if (!policy) throw new NotFound('L7Policy', policyId);
  requireActive('L7Policy', policy);
  if (lb.provisioning_status !== 'ACTIVE') throw new ImmutableObject('Load Balancer', lbId);
  await trx.updateTable('load_balancer').set({ provisioning_status: 'PENDING_UPDATE' }).where('id', '=', lbId).execute();
  const locked: ObjectRef[] = [
    { type: 'l7policy', id: policy.id },
    { type: 'listener', id: policy.listener_id },
  ];
  await setPending(trx, locked, 'PENDING_UPDATE');
  return { lb, locked };
}
