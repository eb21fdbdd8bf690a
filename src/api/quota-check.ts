// Quota enforcement at create time (docs/octavia-compatibility.md §5.9), inside the caller's write transaction.
//
// A deviation from Octavia (docs/octavia-compatibility.md §5.9): Octavia does not enforce quotas under auth_strategy=noauth;
// Fulcrum enforces them in every auth mode. The defaults are unlimited (-1), so nothing changes
// for a deployment that sets no quota, and an operator who does set one gets it honoured
// whatever the auth mode.
//
// Nothing is counted ahead of time: under a row lock on the project's quota record, the
// project's objects that are not DELETED are counted. A row that is PENDING_DELETE still counts,
// so quota is released only when the deletion has completed.
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { FulcrumConfig } from '../config.ts';
import { ProjectBusy, QuotaExceeded } from '../errors.ts';
import {
  effectiveQuota,
  exceededResources,
  limitedResources,
  QUOTA_DISPLAY_NAMES,
  type QuotaLimits,
  type QuotaRequest,
  type QuotaResource,
} from '../model/quota.ts';
import type { Table } from '../db/schema.ts';
import type { Trx } from './write-path.ts';

const COUNTED_TABLE: Record<QuotaResource, Table> = {
  loadbalancer: 'load_balancer',
  listener: 'listener',
  pool: 'pool',
  healthmonitor: 'health_monitor',
  member: 'member',
  l7policy: 'l7policy',
  l7rule: 'l7rule',
};

const DEADLOCK = '40P01';

/** Creates the project's quota record if it has none, then locks it (SELECT … FOR UPDATE). */
export async function lockQuotaRow(trx: Trx, projectId: string) {
  try {
    await trx.insertInto('quota').values({ id: randomUUID(), project_id: projectId }).onConflict((oc) => oc.column('project_id').doNothing()).execute();
    return await trx.selectFrom('quota').selectAll().where('project_id', '=', projectId).forUpdate().executeTakeFirstOrThrow();
  } catch (err) {
    if ((err as { code?: string }).code === DEADLOCK) throw new ProjectBusy();
    throw err;
  }
}

async function countInUse(trx: Trx, projectId: string, resource: QuotaResource): Promise<number> {
  const result = await sql<{ n: string | number }>`
    select count(*) as n from ${sql.table(COUNTED_TABLE[resource])}
    where project_id = ${projectId} and provisioning_status <> 'DELETED'`.execute(trx);
  return Number(result.rows[0]?.n ?? 0);
}

/** The project's effective limits (its own record over the deployment defaults). */
export function projectLimits(config: FulcrumConfig, stored: Parameters<typeof effectiveQuota>[0]): QuotaLimits {
  return effectiveQuota(stored, config.quotaDefaults);
}

/**
 * Throws 403 "Quota has been met for resources: …" when creating `request` (how many objects
 * of each kind) would pass one of `projectId`'s limits. Call it inside the create's
 * transaction, before inserting the new rows; the quota row stays locked until commit, so two
 * concurrent creates in one project cannot both take the last slot.
 */
export async function checkQuota(trx: Trx, config: FulcrumConfig, projectId: string, request: QuotaRequest): Promise<void> {
  const row = await lockQuotaRow(trx, projectId);
  const limits = projectLimits(config, row);
  const inUse: Partial<Record<QuotaResource, number>> = {};
  for (const resource of limitedResources(limits, request)) inUse[resource] = await countInUse(trx, projectId, resource);
  const over = exceededResources(limits, inUse, request);
  if (over.length > 0) throw new QuotaExceeded(over.map((r) => QUOTA_DISPLAY_NAMES[r]), projectId);
}
