// /v2/lbaas/l7policies (docs/octavia-compatibility.md §5.7): a change locks the LB and the policy's listener;
// positions stay dense 1..N per listener, renumbered in the same transaction.
import { randomUUID } from 'node:crypto';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { IdParams } from '../octavia/schema-types.ts';
import { fetchRow, listResource, showResource } from '../resource.ts';
import {
  L7PolicyCreate,
  L7PolicyUpdate,
  policyArguments,
  serializeL7Policies,
} from '../octavia/l7policy.ts';
import { adminStateUp } from '../octavia/common.ts';
import { checkQuota } from '../quota-check.ts';
import { enqueueOperation, lockForChild, NOW, setPending, type Trx } from '../write-path.ts';
import { ListenerNoChildren, NotFound } from '../../errors.ts';
import { normaliseL7Policy } from '../../model/l7-policy.ts';
import { checkListenerPoolProtocols } from '../../model/protocol-rules.ts';
import { ref } from '../../model/operation.ts';
import { placeL7Policy } from '../../db/l7-positions.ts';
import type { Db } from '../../db/database.ts';
import type { ListenerRow } from '../octavia/listener.ts';
import { l7PolicySpec, listenerSpec, loadBalancerSpec } from '../resource-specs.ts';
import { describedColumns } from '../writes/l7-policy-rows.ts';

const ARGUMENT_KEYS = ['action', 'redirect_pool_id', 'redirect_url', 'redirect_prefix', 'redirect_http_code'] as const;

/** A redirect pool must be on the listener's load balancer (404) and speak its protocol (400). */
async function checkRedirectPool(db: Db, poolId: string, listener: ListenerRow): Promise<void> {
  const pool = await db.selectFrom('pool').select(['load_balancer_id', 'protocol']).where('id', '=', poolId).executeTakeFirst();
  if (!pool || pool.load_balancer_id !== listener.load_balancer_id) throw new NotFound('Pool', poolId);
  checkListenerPoolProtocols(listener.protocol, pool.protocol);
}

/** The listener as it is under the LB lock (a delete may have completed since it was read). */
async function lockedListener(trx: Trx, id: string): Promise<ListenerRow> {
  const listener = await trx.selectFrom('listener').selectAll().where('id', '=', id).executeTakeFirst();
  if (!listener) throw new NotFound('Listener', id);
  return listener;
}

export async function l7PolicyRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/lbaas/l7policies';

  app.get(base, { config: { policy: 'l7policy:get_all' } }, async (request) => listResource(request, deps, l7PolicySpec));
  app.get(`${base}/:id`, { config: { policy: 'l7policy:get_one' }, schema: { params: IdParams } }, async (request) =>
    showResource(request, deps, l7PolicySpec, request.params.id),
  );

  app.post(base, { config: { policy: 'l7policy:post' }, schema: { body: L7PolicyCreate } }, async (request, reply) => {
    const body = request.body.l7policy;
    const listener = await fetchRow(request, db, listenerSpec, body.listener_id);
    if (listener.protocol === 'PROMETHEUS') throw new ListenerNoChildren(listener.protocol);
    const args = normaliseL7Policy(body);
    if (args.redirect_pool_id) await checkRedirectPool(db, args.redirect_pool_id, listener);
    const lbRow = await fetchRow(request, db, loadBalancerSpec, listener.load_balancer_id);
    deps.providers.get(lbRow.provider)?.checkSupport({ l7ListenerProtocol: listener.protocol });
    const id = randomUUID();
    const row = await db.transaction().execute(async (trx) => {
      const lb = await lockForChild(trx, lbRow.id);
      await lockedListener(trx, listener.id);
      await checkQuota(trx, deps.config, lb.project_id, { l7policy: 1 });
      const position = await placeL7Policy(trx, listener.id, id, body.position);
      const inserted = await trx
        .insertInto('l7policy')
        .values({
          id,
          project_id: lb.project_id,
          listener_id: listener.id,
          name: '',
          description: '',
          admin_state_up: adminStateUp(body.admin_state_up),
          provisioning_status: 'PENDING_CREATE',
          operating_status: 'OFFLINE',
          ...describedColumns(body),
          ...args,
          position,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const locked = [ref('listener', listener.id)];
      await setPending(trx, locked, 'PENDING_UPDATE');
      await enqueueOperation(trx, deps, {
        action: 'create',
        target: ref('l7policy', id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [ref('l7policy', id)],
        updated: [],
        deleted: [],
        locked,
      });
      return inserted;
    });
    const [obj] = await serializeL7Policies(db, [row]);
    return reply.status(201).send({ l7policy: obj });
  });

  app.put(`${base}/:id`, { config: { policy: 'l7policy:put' }, schema: { params: IdParams, body: L7PolicyUpdate } }, async (request) => {
    const body = request.body.l7policy;
    const existing = await fetchRow(request, db, l7PolicySpec, request.params.id);
    const listener = await db.selectFrom('listener').selectAll().where('id', '=', existing.listener_id).executeTakeFirstOrThrow();
    const changes = describedColumns(body);
    if (ARGUMENT_KEYS.some((k) => body[k] !== undefined)) {
      const args = normaliseL7Policy(body, policyArguments(existing));
      if (args.redirect_pool_id && args.redirect_pool_id !== existing.redirect_pool_id) await checkRedirectPool(db, args.redirect_pool_id, listener);
      Object.assign(changes, args);
    }
    const row = await db.transaction().execute(async (trx) => {
      const lb = await lockForChild(trx, listener.load_balancer_id);
      if (body.position !== undefined) changes.position = await placeL7Policy(trx, listener.id, existing.id, body.position);
      const updated = await trx
        .updateTable('l7policy')
        .set({ ...changes, provisioning_status: 'PENDING_UPDATE', updated_at: NOW })
        .where('id', '=', existing.id)
        .returningAll()
        .executeTakeFirst();
      if (!updated) throw new NotFound('L7 Policy', existing.id);
      const locked = [ref('listener', listener.id)];
      await setPending(trx, locked, 'PENDING_UPDATE');
      await enqueueOperation(trx, deps, {
        action: 'update',
        target: ref('l7policy', existing.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [],
        updated: [ref('l7policy', existing.id)],
        deleted: [],
        locked,
        changes,
      });
      return updated;
    });
    const [obj] = await serializeL7Policies(db, [row]);
    return { l7policy: obj };
  });

  app.delete(`${base}/:id`, { config: { policy: 'l7policy:delete' }, schema: { params: IdParams } }, async (request, reply) => {
    const existing = await fetchRow(request, db, l7PolicySpec, request.params.id);
    const listener = await db.selectFrom('listener').select(['id', 'load_balancer_id']).where('id', '=', existing.listener_id).executeTakeFirstOrThrow();
    await db.transaction().execute(async (trx) => {
      const lb = await lockForChild(trx, listener.load_balancer_id);
      const deleted = await trx
        .updateTable('l7policy')
        .set({ provisioning_status: 'PENDING_DELETE' })
        .where('id', '=', existing.id)
        .returning('id')
        .executeTakeFirst();
      if (!deleted) throw new NotFound('L7 Policy', existing.id);
      const locked = [ref('listener', listener.id)];
      await setPending(trx, locked, 'PENDING_UPDATE');
      await enqueueOperation(trx, deps, {
        action: 'delete',
        target: ref('l7policy', existing.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [],
        updated: [],
        deleted: [ref('l7policy', existing.id)],
        locked,
      });
    });
    return reply.status(204).send();
  });
}
