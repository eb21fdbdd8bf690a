// /v2/lbaas/listeners (docs/octavia-compatibility.md §5.3).
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { IdParams } from '../octavia/schema-types.ts';
import type { Trx } from '../write-path.ts';
import { fetchRow, listResource, showResource } from '../resource.ts';
import { ListenerCreate, ListenerUpdate, serializeListeners } from '../octavia/listener.ts';
import { enqueueOperation, lockForChild, NOW, setPending } from '../write-path.ts';
import { checkQuota } from '../quota-check.ts';
import { Conflict, NotFound } from '../../errors.ts';
import { validateListener } from '../../model/listener-rules.ts';
import { checkListenerPoolProtocols, portSpace } from '../../model/protocol-rules.ts';
import { ref } from '../../model/operation.ts';
import { listenerStats } from '../../db/stats.ts';
import { listenerSpec, loadBalancerSpec } from '../resource-specs.ts';
import { checkNewListener, listenerColumns, listenerState, newListenerRow } from '../writes/listener-rows.ts';
import { checkListenerRefs, holdCertificates } from '../../certs/ref-check.ts';
import { secretStoreFor } from '../../certs/secret-store.ts';

async function checkDefaultPool(deps: ApiDeps, poolId: string, lbId: string, protocol: string): Promise<void> {
  const pool = await deps.database.db.selectFrom('pool').select(['id', 'load_balancer_id', 'protocol']).where('id', '=', poolId).executeTakeFirst();
  if (!pool || pool.load_balancer_id !== lbId) throw new NotFound('Pool', poolId);
  checkListenerPoolProtocols(protocol, pool.protocol);
}

async function checkPortFree(trx: Trx, lbId: string, protocol: string, port: number): Promise<void> {
  const others = await trx.selectFrom('listener').select(['protocol']).where('load_balancer_id', '=', lbId).where('protocol_port', '=', port).execute();
  if (others.some((o) => portSpace(o.protocol) === portSpace(protocol))) {
    throw new Conflict(`Another Listener on this Load Balancer is already using protocol ${protocol} and protocol_port ${port}`);
  }
}

export async function listenerRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/lbaas/listeners';

  app.get(base, { config: { policy: 'listener:get_all' } }, async (request) => listResource(request, deps, listenerSpec));
  app.get(`${base}/:id`, { config: { policy: 'listener:get_one' }, schema: { params: IdParams } }, async (request) =>
    showResource(request, deps, listenerSpec, request.params.id),
  );
  app.get(`${base}/:id/stats`, { config: { policy: 'listener:get_stats' }, schema: { params: IdParams } }, async (request) => {
    const listener = await fetchRow(request, db, listenerSpec, request.params.id);
    return { stats: await listenerStats(db, listener.id) };
  });

  app.post(base, { config: { policy: 'listener:post' }, schema: { body: ListenerCreate } }, async (request, reply) => {
    const body = request.body.listener;
    const lbRow = await fetchRow(request, db, loadBalancerSpec, body.loadbalancer_id);
    const certIds = await checkNewListener(deps, db, lbRow, body);
    if (body.default_pool_id) await checkDefaultPool(deps, body.default_pool_id, lbRow.id, body.protocol);
    const id = randomUUID();
    const row = await db.transaction().execute(async (trx) => {
      const lb = await lockForChild(trx, lbRow.id);
      await checkQuota(trx, deps.config, lb.project_id, { listener: 1 });
      await holdCertificates(trx, certIds);
      await checkPortFree(trx, lb.id, body.protocol, body.protocol_port);
      const inserted = await trx.insertInto('listener').values(newListenerRow(id, lb, body)).returningAll().executeTakeFirstOrThrow();
      await enqueueOperation(trx, deps, {
        action: 'create',
        target: ref('listener', id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [ref('listener', id)],
        updated: [],
        deleted: [],
        locked: [],
      });
      return inserted;
    });
    const [obj] = await serializeListeners(db, [row]);
    return reply.status(201).send({ listener: obj });
  });

  app.put(`${base}/:id`, { config: { policy: 'listener:put' }, schema: { params: IdParams, body: ListenerUpdate } }, async (request) => {
    const { id } = request.params;
    const body = request.body.listener;
    const existing = await fetchRow(request, db, listenerSpec, id);
    const lbRow = await fetchRow(request, db, loadBalancerSpec, existing.load_balancer_id);
    validateListener(listenerState(existing.protocol, existing, body), lbRow.vip_address ? [isIP(lbRow.vip_address)] : [4, 6]);
    if (body.default_pool_id) await checkDefaultPool(deps, body.default_pool_id, lbRow.id, existing.protocol);
    const certIds = await checkListenerRefs(db, () => secretStoreFor(deps.config), lbRow.project_id, listenerState(existing.protocol, existing, body), (f) => f in body);
    const row = await db.transaction().execute(async (trx) => {
      const lb = await lockForChild(trx, existing.load_balancer_id);
      await holdCertificates(trx, certIds);
      const changes = listenerColumns(body, existing.protocol);
      const updated = await trx
        .updateTable('listener')
        .set({ ...changes, provisioning_status: 'PENDING_UPDATE', updated_at: NOW })
        .where('id', '=', existing.id)
        .returningAll()
        .executeTakeFirst();
      if (!updated) throw new NotFound('Listener', existing.id);
      await enqueueOperation(trx, deps, {
        action: 'update',
        target: ref('listener', existing.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [],
        updated: [ref('listener', existing.id)],
        deleted: [],
        locked: [],
        changes,
      });
      return updated;
    });
    const [obj] = await serializeListeners(db, [row]);
    return { listener: obj };
  });

  app.delete(`${base}/:id`, { config: { policy: 'listener:delete' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params;
    const existing = await fetchRow(request, db, listenerSpec, id);
    await db.transaction().execute(async (trx) => {
      const lb = await lockForChild(trx, existing.load_balancer_id);
      await setPending(trx, [ref('listener', existing.id)], 'PENDING_DELETE');
      await enqueueOperation(trx, deps, {
        action: 'delete',
        target: ref('listener', existing.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [],
        updated: [],
        deleted: [ref('listener', existing.id)],
        locked: [],
      });
    });
    return reply.status(204).send();
  });
}
