// /v2/lbaas/listeners (reference §5.3).
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Static } from 'typebox';
import type { ApiDeps } from '../deps.ts';
import type { Trx } from '../write-path.ts';
import type { Db } from '../../db/database.ts';
import type { LoadBalancerRow } from '../octavia/loadbalancer.ts';
import { COMMON_ATTRS, fetchRow, listResource, showResource, type ResourceSpec } from '../resource.ts';
import { ListenerCreate, ListenerUpdate, serializeListeners, type ListenerInput, type ListenerRow } from '../octavia/listener.ts';
import { adminStateUp } from '../octavia/common.ts';
import { enqueueOperation, lockForChild, NOW, setPending } from '../write-path.ts';
import { checkQuota } from '../quota-check.ts';
import { Conflict, NotFound } from '../../errors.ts';
import { LISTENER_TIMEOUT_DEFAULTS, TLS_DEFAULTS } from '../../model/enums.ts';
import { validateListener, type ListenerState } from '../../model/listener-rules.ts';
import { checkListenerPoolProtocols, portSpace } from '../../model/protocol-rules.ts';
import { normaliseCidr } from '../../model/cidr.ts';
import { ref } from '../../model/operation.ts';
import { listenerStats } from '../../db/stats.ts';
import { loadBalancerSpec } from './loadbalancers.ts';
import { checkListenerRefs, holdCertificates } from '../../certs/ref-check.ts';
import { secretStoreFor } from '../../certs/secret-store.ts';

export const listenerSpec: ResourceSpec<ListenerRow> = {
  table: 'listener',
  displayName: 'Listener',
  single: 'listener',
  plural: 'listeners',
  attrs: {
    ...COMMON_ATTRS,
    description: { column: 'description', type: 'string' },
    loadbalancer_id: { column: 'load_balancer_id', type: 'uuid' },
    protocol: { column: 'protocol', type: 'string' },
    protocol_port: { column: 'protocol_port', type: 'int' },
    connection_limit: { column: 'connection_limit', type: 'int' },
    default_pool_id: { column: 'default_pool_id', type: 'uuid' },
    default_tls_container_ref: { column: 'default_tls_container_ref', type: 'string' },
    client_ca_tls_container_ref: { column: 'client_ca_tls_container_ref', type: 'string' },
    client_authentication: { column: 'client_authentication', type: 'string' },
    client_crl_container_ref: { column: 'client_crl_container_ref', type: 'string' },
    timeout_client_data: { column: 'timeout_client_data', type: 'int' },
    timeout_member_connect: { column: 'timeout_member_connect', type: 'int' },
    timeout_member_data: { column: 'timeout_member_data', type: 'int' },
    timeout_tcp_inspect: { column: 'timeout_tcp_inspect', type: 'int' },
    tls_ciphers: { column: 'tls_ciphers', type: 'string' },
    hsts_max_age: { column: 'hsts_max_age', type: 'int' },
  },
  serialize: serializeListeners,
};

const IdParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
const TIMEOUTS = Object.keys(LISTENER_TIMEOUT_DEFAULTS) as (keyof typeof LISTENER_TIMEOUT_DEFAULTS)[];

/**
 * The columns a create or update writes: explicit nulls reset to defaults (reference §5.3),
 * absent keys are left alone.
 */
function columnsFrom(body: ListenerInput, protocol: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const tls = protocol === 'TERMINATED_HTTPS';
  const set = (key: string, value: unknown) => {
    if (value !== undefined) out[key] = value;
  };
  if (body.name !== undefined) out.name = body.name ?? '';
  if (body.description !== undefined) out.description = body.description ?? '';
  if (body.admin_state_up !== undefined) out.admin_state_up = body.admin_state_up ?? false;
  if (body.connection_limit !== undefined) out.connection_limit = body.connection_limit ?? -1;
  set('default_pool_id', body.default_pool_id);
  set('default_tls_container_ref', body.default_tls_container_ref);
  if (body.sni_container_refs !== undefined) out.sni_container_refs = JSON.stringify(body.sni_container_refs ?? []);
  set('client_ca_tls_container_ref', body.client_ca_tls_container_ref);
  if (body.client_authentication !== undefined) out.client_authentication = body.client_authentication ?? 'NONE';
  set('client_crl_container_ref', body.client_crl_container_ref);
  if (body.insert_headers !== undefined) out.insert_headers = JSON.stringify(body.insert_headers ?? {});
  for (const key of TIMEOUTS) if (body[key] !== undefined) out[key] = body[key] ?? LISTENER_TIMEOUT_DEFAULTS[key];
  if (body.allowed_cidrs !== undefined) out.allowed_cidrs = JSON.stringify([...new Set((body.allowed_cidrs ?? []).map(normaliseCidr))]);
  if (body.tls_ciphers !== undefined) out.tls_ciphers = body.tls_ciphers ?? (tls ? TLS_DEFAULTS.ciphers : null);
  if (body.tls_versions !== undefined) out.tls_versions = JSON.stringify(body.tls_versions ?? (tls ? TLS_DEFAULTS.versions : null));
  if (body.alpn_protocols !== undefined) out.alpn_protocols = JSON.stringify(body.alpn_protocols ?? (tls ? TLS_DEFAULTS.alpn : null));
  set('hsts_max_age', body.hsts_max_age);
  if (body.hsts_include_subdomains !== undefined) out.hsts_include_subdomains = body.hsts_include_subdomains ?? false;
  if (body.hsts_preload !== undefined) out.hsts_preload = body.hsts_preload ?? false;
  if (body.tags !== undefined) out.tags = JSON.stringify(body.tags);
  return out;
}

/** The listener as it will be after the write, for validation. */
function stateOf(protocol: string, stored: Partial<ListenerRow>, body: ListenerInput): ListenerState {
  const pick = <K extends keyof ListenerState>(key: K, fallback: ListenerState[K]): ListenerState[K] => {
    const v = (body as Record<string, unknown>)[key];
    if (v !== undefined) return (v ?? fallback) as ListenerState[K];
    return ((stored as Record<string, unknown>)[key] ?? fallback) as ListenerState[K];
  };
  return {
    protocol,
    insert_headers: pick('insert_headers', {}),
    default_tls_container_ref: pick('default_tls_container_ref', null),
    sni_container_refs: pick('sni_container_refs', []),
    client_ca_tls_container_ref: pick('client_ca_tls_container_ref', null),
    client_authentication: pick('client_authentication', 'NONE'),
    client_crl_container_ref: pick('client_crl_container_ref', null),
    allowed_cidrs: pick('allowed_cidrs', []),
    tls_versions: pick('tls_versions', null),
    alpn_protocols: pick('alpn_protocols', null),
    hsts_max_age: pick('hsts_max_age', null),
    hsts_include_subdomains: pick('hsts_include_subdomains', false),
    hsts_preload: pick('hsts_preload', false),
    default_pool_id: pick('default_pool_id', null),
  };
}

/** A listener create body; TERMINATED_HTTPS gets its TLS defaults (reference §5.3). */
export type NewListener = Omit<Static<typeof ListenerCreate>['listener'], 'loadbalancer_id'>;

function withCreateDefaults(body: NewListener): ListenerInput {
  const tls = body.protocol === 'TERMINATED_HTTPS';
  return { ...(tls ? { tls_versions: null, alpn_protocols: null, tls_ciphers: null } : {}), ...body };
}

/**
 * Checks a new listener on `lb` (field rules, certificate refs, provider support), for its
 * POST and for a fully-populated LB create; returns the certificate ids the create must hold.
 */
export async function checkNewListener(
  deps: ApiDeps,
  db: Db,
  lb: Pick<LoadBalancerRow, 'vip_address' | 'project_id' | 'provider'>,
  body: NewListener,
): Promise<string[]> {
  const state = stateOf(body.protocol, {}, withCreateDefaults(body));
  validateListener(state, lb.vip_address ? [isIP(lb.vip_address)] : [4, 6]);
  const certIds = await checkListenerRefs(db, () => secretStoreFor(deps.config), lb.project_id, state, (f) => f in body);
  deps.providers.get(lb.provider)?.checkSupport({ listenerProtocol: body.protocol });
  return certIds;
}

/** The row of a new listener of `lb`, PENDING_CREATE and OFFLINE. */
export function newListenerRow(id: string, lb: Pick<LoadBalancerRow, 'id' | 'project_id'>, body: NewListener) {
  return {
    id,
    project_id: lb.project_id,
    load_balancer_id: lb.id,
    provisioning_status: 'PENDING_CREATE',
    operating_status: 'OFFLINE',
    protocol: body.protocol,
    protocol_port: body.protocol_port,
    name: '',
    description: '',
    admin_state_up: adminStateUp(body.admin_state_up),
    ...LISTENER_TIMEOUT_DEFAULTS,
    ...columnsFrom(withCreateDefaults(body), body.protocol),
  };
}

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

export async function listenerRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/lbaas/listeners';

  app.get(base, { config: { policy: 'listener:get_all' } }, async (request) => listResource(request, deps, listenerSpec));
  app.get(`${base}/:id`, { config: { policy: 'listener:get_one' }, schema: { params: IdParams } }, async (request) =>
    showResource(request, deps, listenerSpec, (request.params as { id: string }).id),
  );
  app.get(`${base}/:id/stats`, { config: { policy: 'listener:get_stats' }, schema: { params: IdParams } }, async (request) => {
    const listener = await fetchRow(request, db, listenerSpec, (request.params as { id: string }).id);
    return { stats: await listenerStats(db, listener.id) };
  });

  app.post(base, { config: { policy: 'listener:post' }, schema: { body: ListenerCreate } }, async (request, reply) => {
    const body = (request.body as Static<typeof ListenerCreate>).listener;
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
    const { id } = request.params as { id: string };
    const body = (request.body as Static<typeof ListenerUpdate>).listener;
    const existing = await fetchRow(request, db, listenerSpec, id);
    const lbRow = await fetchRow(request, db, loadBalancerSpec, existing.load_balancer_id);
    validateListener(stateOf(existing.protocol, existing, body), lbRow.vip_address ? [isIP(lbRow.vip_address)] : [4, 6]);
    if (body.default_pool_id) await checkDefaultPool(deps, body.default_pool_id, lbRow.id, existing.protocol);
    const certIds = await checkListenerRefs(db, () => secretStoreFor(deps.config), lbRow.project_id, stateOf(existing.protocol, existing, body), (f) => f in body);
    const row = await db.transaction().execute(async (trx) => {
      const lb = await lockForChild(trx, existing.load_balancer_id);
      await holdCertificates(trx, certIds);
      const changes = columnsFrom(body, existing.protocol);
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
    const { id } = request.params as { id: string };
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
