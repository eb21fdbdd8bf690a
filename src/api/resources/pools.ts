// /v2/lbaas/pools (docs/octavia-compatibility.md §5.4).
import { randomUUID } from 'node:crypto';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { IdParams } from '../octavia/schema-types.ts';
import { fetchRow, listResource, showResource } from '../resource.ts';
import { PoolCreate, PoolUpdate, serializePools } from '../octavia/pool.ts';
import { enqueueOperation, listenersOfPool, lockForChild, NOW, setPending } from '../write-path.ts';
import { checkQuota } from '../quota-check.ts';
import { Conflict, NotFound, ValidationFailure } from '../../errors.ts';
import { listenerSpec, loadBalancerSpec, poolSpec } from '../resource-specs.ts';
import { checkNewPool, newPoolRow, poolRefs, tlsColumns } from '../writes/pool-rows.ts';
import { checkListenerPoolProtocols } from '../../model/protocol-rules.ts';
import { resolveSessionPersistence } from '../../model/session-persistence.ts';
import { ref } from '../../model/operation.ts';
import { checkPoolRefs, holdCertificates } from '../../certs/ref-check.ts';
import { secretStoreFor } from '../../certs/secret-store.ts';

export async function poolRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/lbaas/pools';

  app.get(base, { config: { policy: 'pool:get_all' } }, async (request) => listResource(request, deps, poolSpec));
  app.get(`${base}/:id`, { config: { policy: 'pool:get_one' }, schema: { params: IdParams } }, async (request) =>
    showResource(request, deps, poolSpec, request.params.id),
  );

  app.post(base, { config: { policy: 'pool:post' }, schema: { body: PoolCreate } }, async (request, reply) => {
    const body = request.body.pool;
    if (!body.loadbalancer_id && !body.listener_id) {
      throw new ValidationFailure('Must provide at least one of: loadbalancer_id, listener_id');
    }
    const listener = body.listener_id ? await fetchRow(request, db, listenerSpec, body.listener_id) : undefined;
    if (listener && body.loadbalancer_id && listener.load_balancer_id !== body.loadbalancer_id) {
      throw new ValidationFailure(`Listener ${listener.id} is not on load balancer ${body.loadbalancer_id}.`);
    }
    const lbRow = await fetchRow(request, db, loadBalancerSpec, body.loadbalancer_id ?? listener!.load_balancer_id);
    if (listener) checkListenerPoolProtocols(listener.protocol, body.protocol);
    const { sessionPersistence: sp, certIds } = await checkNewPool(deps, db, lbRow, body);
    const id = randomUUID();
    const row = await db.transaction().execute(async (trx) => {
      const lb = await lockForChild(trx, lbRow.id);
      await checkQuota(trx, deps.config, lb.project_id, { pool: 1 });
      await holdCertificates(trx, certIds);
      if (listener) {
        const current = await trx.selectFrom('listener').select('default_pool_id').where('id', '=', listener.id).executeTakeFirst();
        if (!current) throw new NotFound('Listener', listener.id);
        if (current.default_pool_id) throw new Conflict('This listener already has a default pool');
      }
      const inserted = await trx.insertInto('pool').values(newPoolRow(id, lb, body, sp)).returningAll().executeTakeFirstOrThrow();
      const locked = [];
      if (listener) {
        await trx.updateTable('listener').set({ default_pool_id: id }).where('id', '=', listener.id).execute();
        locked.push(ref('listener', listener.id));
        await setPending(trx, locked, 'PENDING_UPDATE');
      }
      await enqueueOperation(trx, deps, {
        action: 'create',
        target: ref('pool', id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [ref('pool', id)],
        updated: [],
        deleted: [],
        locked,
      });
      return inserted;
    });
    const [obj] = await serializePools(db, [row]);
    return reply.status(201).send({ pool: obj });
  });

  app.put(`${base}/:id`, { config: { policy: 'pool:put' }, schema: { params: IdParams, body: PoolUpdate } }, async (request) => {
    const { id } = request.params;
    const body = request.body.pool;
    const existing = await fetchRow(request, db, poolSpec, id);
    if (body.ca_tls_container_ref === null && (body.crl_container_ref !== undefined ? body.crl_container_ref : existing.crl_container_ref)) {
      throw new ValidationFailure('A CA reference cannot be removed when a certificate revocation list is present.');
    }
    const certIds = await checkPoolRefs(db, () => secretStoreFor(deps.config), existing.project_id, poolRefs(body, existing), (f) => f in body);
    const row = await db.transaction().execute(async (trx) => {
      const lb = await lockForChild(trx, existing.load_balancer_id);
      await holdCertificates(trx, certIds);
      const pool = await trx.selectFrom('pool').selectAll().where('id', '=', existing.id).executeTakeFirst();
      if (!pool) throw new NotFound('Pool', existing.id);
      if (body.lb_algorithm) deps.providers.get(lb.provider)?.checkSupport({ lbAlgorithm: body.lb_algorithm, poolProtocol: pool.protocol });
      const changes: Record<string, unknown> = { ...tlsColumns(body) };
      if (body.name !== undefined) changes.name = body.name ?? '';
      if (body.description !== undefined) changes.description = body.description ?? '';
      if (body.admin_state_up !== undefined) changes.admin_state_up = body.admin_state_up ?? false;
      if (body.lb_algorithm !== undefined) changes.lb_algorithm = body.lb_algorithm;
      if (body.tls_enabled !== undefined) changes.tls_enabled = body.tls_enabled ?? false;
      if (body.tags !== undefined) changes.tags = JSON.stringify(body.tags);
      if (body.session_persistence !== undefined) {
        changes.session_persistence = JSON.stringify(resolveSessionPersistence(body.session_persistence, pool.protocol, pool.session_persistence));
      }
      if (body.crl_container_ref && !(body.ca_tls_container_ref ?? pool.ca_tls_container_ref)) {
        throw new ValidationFailure('A CA certificate reference is required to specify a certificate revocation list.');
      }
      const locked = (await listenersOfPool(trx, pool.id)).map((l) => ref('listener', l));
      await setPending(trx, locked, 'PENDING_UPDATE');
      const updated = await trx
        .updateTable('pool')
        .set({ ...changes, provisioning_status: 'PENDING_UPDATE', updated_at: NOW })
        .where('id', '=', pool.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await enqueueOperation(trx, deps, {
        action: 'update',
        target: ref('pool', pool.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [],
        updated: [ref('pool', pool.id)],
        deleted: [],
        locked,
        changes,
      });
      return updated;
    });
    const [obj] = await serializePools(db, [row]);
    return { pool: obj };
  });

  app.delete(`${base}/:id`, { config: { policy: 'pool:delete' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params;
    const existing = await fetchRow(request, db, poolSpec, id);
    await db.transaction().execute(async (trx) => {
      const lb = await lockForChild(trx, existing.load_balancer_id);
      const redirect = await trx.selectFrom('l7policy').select('id').where('redirect_pool_id', '=', existing.id).executeTakeFirst();
      if (redirect) throw new Conflict(`Pool ${existing.id} is in use by L7 policy ${redirect.id}`);
      const locked = (await listenersOfPool(trx, existing.id)).map((l) => ref('listener', l));
      await setPending(trx, locked, 'PENDING_UPDATE');
      await setPending(trx, [ref('pool', existing.id)], 'PENDING_DELETE');
      await enqueueOperation(trx, deps, {
        action: 'delete',
        target: ref('pool', existing.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [],
        updated: [],
        deleted: [ref('pool', existing.id)],
        locked,
      });
    });
    return reply.status(204).send();
  });
}
