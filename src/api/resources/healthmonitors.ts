// /v2/lbaas/healthmonitors (docs/octavia-compatibility.md §5.6): one monitor per pool; a change needs the pool ACTIVE.
import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { IdParams } from '../octavia/schema-types.ts';
import { COMMON_ATTRS, fetchRow, listResource, showResource, type ResourceSpec } from '../resource.ts';
import {
  HealthMonitorCreate,
  HealthMonitorUpdate,
  monitorSettings,
  serializeHealthMonitors,
  type HealthMonitorRow,
} from '../octavia/healthmonitor.ts';
import { enqueueOperation, lockPoolForChild, NOW } from '../write-path.ts';
import { checkQuota } from '../quota-check.ts';
import { Conflict, NotFound } from '../../errors.ts';
import { poolSpec } from '../resource-specs.ts';
import { newHealthMonitorRow } from '../writes/health-monitor-rows.ts';
import { monitorChanges, newMonitorSettings } from '../../model/health-monitor.ts';
import { ref } from '../../model/operation.ts';

const healthMonitorSpec: ResourceSpec<HealthMonitorRow> = {
  table: 'health_monitor',
  displayName: 'Health Monitor',
  single: 'healthmonitor',
  plural: 'healthmonitors',
  attrs: {
    ...COMMON_ATTRS,
    pool_id: { column: 'pool_id', type: 'uuid' },
    type: { column: 'type', type: 'string' },
    delay: { column: 'delay', type: 'int' },
    timeout: { column: 'timeout', type: 'int' },
    max_retries: { column: 'max_retries', type: 'int' },
    max_retries_down: { column: 'max_retries_down', type: 'int' },
    http_method: { column: 'http_method', type: 'string' },
    url_path: { column: 'url_path', type: 'string' },
    expected_codes: { column: 'expected_codes', type: 'string' },
    domain_name: { column: 'domain_name', type: 'string' },
  },
  serialize: serializeHealthMonitors,
};

type MonitorBody = Static<typeof HealthMonitorUpdate>['healthmonitor'];

/** The generic fields, null meaning "" for the name and false for admin_state_up. */
function commonChanges(body: MonitorBody): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  if (body.name !== undefined) changes.name = body.name ?? '';
  if (body.admin_state_up !== undefined) changes.admin_state_up = body.admin_state_up ?? false;
  if (body.tags !== undefined) changes.tags = JSON.stringify(body.tags);
  return changes;
}

export async function healthMonitorRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/lbaas/healthmonitors';

  app.get(base, { config: { policy: 'healthmonitor:get_all' } }, async (request) => listResource(request, deps, healthMonitorSpec));
  app.get(`${base}/:id`, { config: { policy: 'healthmonitor:get_one' }, schema: { params: IdParams } }, async (request) =>
    showResource(request, deps, healthMonitorSpec, request.params.id),
  );

  app.post(base, { config: { policy: 'healthmonitor:post' }, schema: { body: HealthMonitorCreate } }, async (request, reply) => {
    const body = request.body.healthmonitor;
    const pool = await fetchRow(request, db, poolSpec, body.pool_id);
    const settings = newMonitorSettings(body, pool.protocol);
    const id = randomUUID();
    const row = await db.transaction().execute(async (trx) => {
      const { lb, locked } = await lockPoolForChild(trx, pool);
      deps.providers.get(lb.provider)?.checkSupport({ healthMonitorType: settings.type, poolProtocol: pool.protocol });
      await checkQuota(trx, deps.config, lb.project_id, { healthmonitor: 1 });
      const existing = await trx.selectFrom('health_monitor').select('id').where('pool_id', '=', pool.id).executeTakeFirst();
      if (existing) throw new Conflict('This pool already has a health monitor');
      const inserted = await trx.insertInto('health_monitor').values(newHealthMonitorRow(id, pool, body, settings)).returningAll().executeTakeFirstOrThrow();
      await enqueueOperation(trx, deps, {
        action: 'create',
        target: ref('healthmonitor', id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [ref('healthmonitor', id)],
        updated: [],
        deleted: [],
        locked,
      });
      return inserted;
    });
    const [obj] = await serializeHealthMonitors(db, [row]);
    return reply.status(201).send({ healthmonitor: obj });
  });

  app.put(`${base}/:id`, { config: { policy: 'healthmonitor:put' }, schema: { params: IdParams, body: HealthMonitorUpdate } }, async (request) => {
    const body = request.body.healthmonitor;
    const existing = await fetchRow(request, db, healthMonitorSpec, request.params.id);
    const pool = await fetchRow(request, db, poolSpec, existing.pool_id);
    const changes = { ...commonChanges(body), ...monitorChanges(monitorSettings(existing), body) };
    const row = await db.transaction().execute(async (trx) => {
      const { lb, locked } = await lockPoolForChild(trx, pool);
      const updated = await trx
        .updateTable('health_monitor')
        .set({ ...changes, provisioning_status: 'PENDING_UPDATE', updated_at: NOW })
        .where('id', '=', existing.id)
        .returningAll()
        .executeTakeFirst();
      if (!updated) throw new NotFound('Health Monitor', existing.id);
      await enqueueOperation(trx, deps, {
        action: 'update',
        target: ref('healthmonitor', existing.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [],
        updated: [ref('healthmonitor', existing.id)],
        deleted: [],
        locked,
        changes,
      });
      return updated;
    });
    const [obj] = await serializeHealthMonitors(db, [row]);
    return { healthmonitor: obj };
  });

  app.delete(`${base}/:id`, { config: { policy: 'healthmonitor:delete' }, schema: { params: IdParams } }, async (request, reply) => {
    const existing = await fetchRow(request, db, healthMonitorSpec, request.params.id);
    const pool = await fetchRow(request, db, poolSpec, existing.pool_id);
    await db.transaction().execute(async (trx) => {
      const { lb, locked } = await lockPoolForChild(trx, pool);
      const deleted = await trx
        .updateTable('health_monitor')
        .set({ provisioning_status: 'PENDING_DELETE' })
        .where('id', '=', existing.id)
        .returning('id')
        .executeTakeFirst();
      if (!deleted) throw new NotFound('Health Monitor', existing.id);
      await enqueueOperation(trx, deps, {
        action: 'delete',
        target: ref('healthmonitor', existing.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [],
        updated: [],
        deleted: [ref('healthmonitor', existing.id)],
        locked,
      });
    });
    return reply.status(204).send();
  });
}
