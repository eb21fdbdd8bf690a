// /v2/lbaas/pools (reference §5.4).
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { ApiDeps } from '../deps.ts';
import type { Db } from '../../db/database.ts';
import type { SessionPersistence } from '../../db/schema.ts';
import type { LoadBalancerRow } from '../octavia/loadbalancer.ts';
import { COMMON_ATTRS, fetchRow, listResource, showResource, type ResourceSpec } from '../resource.ts';
import { PoolCreate, PoolUpdate, serializePools, type PoolRow } from '../octavia/pool.ts';
import { adminStateUp } from '../octavia/common.ts';
import { enqueueOperation, listenersOfPool, lockForChild, NOW, setPending } from '../write-path.ts';
import { checkQuota } from '../quota-check.ts';
import { Conflict, NotFound, ValidationFailure } from '../../errors.ts';
import { loadBalancerSpec } from './loadbalancers.ts';
import { listenerSpec } from './listeners.ts';
import { checkListenerPoolProtocols } from '../../model/protocol-rules.ts';
import { resolveSessionPersistence } from '../../model/session-persistence.ts';
import { TLS_DEFAULTS } from '../../model/enums.ts';
import { ref } from '../../model/operation.ts';
import { checkPoolRefs, holdCertificates, type PoolRefs } from '../../certs/ref-check.ts';
import { secretStoreFor } from '../../certs/secret-store.ts';

export const poolSpec: ResourceSpec<PoolRow> = {
  table: 'pool',
  displayName: 'Pool',
  single: 'pool',
  plural: 'pools',
  attrs: {
    ...COMMON_ATTRS,
    description: { column: 'description', type: 'string' },
    loadbalancer_id: { column: 'load_balancer_id', type: 'uuid' },
    protocol: { column: 'protocol', type: 'string' },
    lb_algorithm: { column: 'lb_algorithm', type: 'string' },
    tls_enabled: { column: 'tls_enabled', type: 'bool' },
    tls_container_ref: { column: 'tls_container_ref', type: 'string' },
    ca_tls_container_ref: { column: 'ca_tls_container_ref', type: 'string' },
    crl_container_ref: { column: 'crl_container_ref', type: 'string' },
  },
  serialize: serializePools,
};

const IdParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;

type TlsInput = Pick<Static<typeof PoolCreate>['pool'], 'tls_ciphers' | 'tls_versions' | 'alpn_protocols' | 'tls_container_ref' | 'ca_tls_container_ref' | 'crl_container_ref'>;

function tlsColumns(body: TlsInput) {
  const out: Record<string, unknown> = {};
  for (const key of ['tls_container_ref', 'ca_tls_container_ref', 'crl_container_ref', 'tls_ciphers'] as const) {
    if (body[key] !== undefined) out[key] = body[key];
  }
  if (body.tls_versions !== undefined) out.tls_versions = JSON.stringify(body.tls_versions);
  if (body.alpn_protocols !== undefined) out.alpn_protocols = JSON.stringify(body.alpn_protocols);
  return out;
}

/** The pool's certificate refs after the write: the body's where given, else the stored ones. */
function poolRefs(body: TlsInput, stored: Partial<PoolRefs> = {}): PoolRefs {
  const pick = (key: keyof PoolRefs) => (body[key] !== undefined ? body[key] : stored[key]) ?? null;
  return { tls_container_ref: pick('tls_container_ref'), ca_tls_container_ref: pick('ca_tls_container_ref'), crl_container_ref: pick('crl_container_ref') };
}

/** A pool create body without the ids that attach it. */
export type NewPool = Omit<Static<typeof PoolCreate>['pool'], 'loadbalancer_id' | 'listener_id'>;

/**
 * Checks a new pool on `lb` (session persistence, provider support, certificate refs), for its
 * POST and for a fully-populated LB create; returns what to store for the persistence and the
 * certificate ids the create must hold.
 */
export async function checkNewPool(deps: ApiDeps, db: Db, lb: Pick<LoadBalancerRow, 'project_id' | 'provider'>, body: NewPool) {
  const sessionPersistence = resolveSessionPersistence(body.session_persistence ?? null, body.protocol);
  deps.providers.get(lb.provider)?.checkSupport({ lbAlgorithm: body.lb_algorithm, poolProtocol: body.protocol });
  if (body.crl_container_ref && !body.ca_tls_container_ref) {
    throw new ValidationFailure('A CA certificate reference is required to specify a certificate revocation list.');
  }
  const certIds = await checkPoolRefs(db, () => secretStoreFor(deps.config), lb.project_id, poolRefs(body), (f) => f in body);
  return { sessionPersistence, certIds };
}

/** The row of a new pool of `lb`, PENDING_CREATE and OFFLINE; TLS defaults when TLS is on. */
export function newPoolRow(id: string, lb: Pick<LoadBalancerRow, 'id' | 'project_id'>, body: NewPool, sp: SessionPersistence | null) {
  const tlsEnabled = body.tls_enabled === true;
  return {
    id,
    project_id: lb.project_id,
    load_balancer_id: lb.id,
    name: body.name ?? '',
    description: body.description ?? '',
    admin_state_up: adminStateUp(body.admin_state_up),
    provisioning_status: 'PENDING_CREATE',
    operating_status: 'OFFLINE',
    protocol: body.protocol,
    lb_algorithm: body.lb_algorithm,
    session_persistence: JSON.stringify(sp),
    tls_enabled: tlsEnabled,
    tags: JSON.stringify(body.tags ?? []),
    tls_versions: JSON.stringify(tlsEnabled ? TLS_DEFAULTS.versions : null),
    alpn_protocols: JSON.stringify(tlsEnabled ? TLS_DEFAULTS.alpn : null),
    tls_ciphers: tlsEnabled ? TLS_DEFAULTS.ciphers : null,
    ...tlsColumns(body),
  };
}

export async function poolRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/lbaas/pools';

  app.get(base, { config: { policy: 'pool:get_all' } }, async (request) => listResource(request, deps, poolSpec));
  app.get(`${base}/:id`, { config: { policy: 'pool:get_one' }, schema: { params: IdParams } }, async (request) =>
    showResource(request, deps, poolSpec, (request.params as { id: string }).id),
  );

  app.post(base, { config: { policy: 'pool:post' }, schema: { body: PoolCreate } }, async (request, reply) => {
    const body = (request.body as Static<typeof PoolCreate>).pool;
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
    const { id } = request.params as { id: string };
    const body = (request.body as Static<typeof PoolUpdate>).pool;
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
      if (body.lb_algorithm) deps.providers.get(lb.provider)?.checkSupport({ lbAlgorithm: body.lb_algorithm });
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
    const { id } = request.params as { id: string };
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
