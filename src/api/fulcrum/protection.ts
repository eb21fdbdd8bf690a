// /v2/fulcrum/listeners/{id}/protection: a listener's per-source protection (src/model/protection.ts),
// beside the Octavia listener so Octavia's clients are untouched. Read and written under the
// listener's own policy rules; a change is a listener update (the load balancer is locked, the
// amphorae get the new configuration through a seamless reload). GET shows the settings in
// force: the operator's defaults, the flavor's, then the listener's own. DELETE drops the
// listener's own, back to the defaults.
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import type { Db } from '../../db/database.ts';
import { IdParams, Nullable, Strict, StringEnum, Type, Wrapped } from '../octavia/schema-types.ts';
import { fetchRow } from '../resource.ts';
import { listenerSpec, loadBalancerSpec } from '../resource-specs.ts';
import { enqueueOperation, lockForChild, NOW, type Trx } from '../write-path.ts';
import type { ListenerRow } from '../octavia/listener.ts';
import { InvalidInput, NotFound, ProviderUnsupported } from '../../errors.ts';
import { ref } from '../../model/operation.ts';
import {
  checkProtectionFor,
  effectiveProtection,
  enforceableProtection,
  PROTECTION_ACTIONS,
  PROTECTION_RANGES,
  type ProtectionOverrides,
} from '../../model/protection.ts';
import { flavorProtection, ownProtection } from '../../amphora/protection-loader.ts';

const Limit = (key: keyof typeof PROTECTION_RANGES) => Type.Integer({ minimum: PROTECTION_RANGES[key].min, maximum: PROTECTION_RANGES[key].max });

const ProtectionUpdate = Wrapped(
  'protection',
  Strict({
    requests_per_second_per_source: Type.Optional(Nullable(Limit('requests_per_second_per_source'))),
    burst: Type.Optional(Limit('burst')),
    concurrent_connections_per_source: Type.Optional(Nullable(Limit('concurrent_connections_per_source'))),
    new_connections_per_second_per_source: Type.Optional(Nullable(Limit('new_connections_per_second_per_source'))),
    action: Type.Optional(StringEnum(PROTECTION_ACTIONS)),
  }),
);

/** `?limit=`: how many sources to list, 1 to 1000 (default 20). */
function sourcesLimit(raw: unknown): number {
  if (raw === undefined) return 20;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < 1 || n > 1000) throw new InvalidInput(`Invalid input for limit: ${JSON.stringify(raw)} is not an integer from 1 to 1000.`);
  return n;
}

async function view(db: Db, deps: ApiDeps, listener: ListenerRow, own?: ProtectionOverrides) {
  const lb = await db.selectFrom('load_balancer').select('flavor_id').where('id', '=', listener.load_balancer_id).executeTakeFirst();
  const layers = [deps.config.protectionDefaults, await flavorProtection(db, lb?.flavor_id ?? null), own ?? (await ownProtection(db, listener.id))];
  return {
    protection: {
      listener_id: listener.id,
      ...enforceableProtection(listener.protocol, effectiveProtection(...layers)),
      provisioning_status: listener.provisioning_status,
    },
  };
}

/** Locks the load balancer, marks the listener PENDING_UPDATE and queues the update that renders the change. */
async function updateListener(trx: Trx, deps: ApiDeps, listener: ListenerRow, changes: Record<string, unknown>): Promise<ListenerRow> {
  const lb = await lockForChild(trx, listener.load_balancer_id);
  const updated = await trx
    .updateTable('listener')
    .set({ provisioning_status: 'PENDING_UPDATE', updated_at: NOW })
    .where('id', '=', listener.id)
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw new NotFound('Listener', listener.id);
  await enqueueOperation(trx, deps, {
    action: 'update',
    target: ref('listener', listener.id),
    loadBalancerId: lb.id,
    provider: lb.provider,
    created: [],
    updated: [ref('listener', listener.id)],
    deleted: [],
    locked: [],
    changes,
  });
  return updated;
}

export async function protectionRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const path = '/v2/fulcrum/listeners/:id/protection';

  app.get(path, { config: { policy: 'listener:get_one' }, schema: { params: IdParams } }, async (request) => {
    return view(db, deps, await fetchRow(request, db, listenerSpec, request.params.id));
  });

  app.put(path, { config: { policy: 'listener:put' }, schema: { params: IdParams, body: ProtectionUpdate } }, async (request) => {
    const body = request.body.protection as ProtectionOverrides;
    const listener = await fetchRow(request, db, listenerSpec, request.params.id);
    await fetchRow(request, db, loadBalancerSpec, listener.load_balancer_id);
    checkProtectionFor(listener.protocol, body);
    const { updated, own } = await db.transaction().execute(async (trx) => {
      const stored = await trx.selectFrom('listener_protection').select('settings').where('listener_id', '=', listener.id).forUpdate().executeTakeFirst();
      const own = { ...(stored?.settings as ProtectionOverrides | undefined), ...body };
      const updated = await updateListener(trx, deps, listener, { protection: body });
      await trx
        .insertInto('listener_protection')
        .values({ listener_id: listener.id, settings: JSON.stringify(own) })
        .onConflict((oc) => oc.column('listener_id').doUpdateSet({ settings: JSON.stringify(own), updated_at: NOW }))
        .execute();
      return { updated, own };
    });
    return view(db, deps, updated, own);
  });

  // The agents' stick tables, read now: who is being refused, for what, and how hard they push.
  app.get(
    `${path}/sources`,
    {
      config: { policy: 'fulcrum:listener:get_protection_sources' },
      schema: { params: IdParams },
    },
    async (request) => {
      const limit = sourcesLimit((request.query as Record<string, unknown>).limit);
      const listener = await fetchRow(request, db, listenerSpec, request.params.id);
      const lb = await fetchRow(request, db, loadBalancerSpec, listener.load_balancer_id);
      const driver = deps.providers.get(lb.provider);
      if (!driver?.protectionSources) throw new ProviderUnsupported(lb.provider, 'action', 'This provider does not report protected sources.');
      return { sources: await driver.protectionSources(lb.id, listener.id, limit) };
    },
  );

  app.delete(path, { config: { policy: 'listener:put' }, schema: { params: IdParams } }, async (request, reply) => {
    const listener = await fetchRow(request, db, listenerSpec, request.params.id);
    await db.transaction().execute(async (trx) => {
      await updateListener(trx, deps, listener, { protection: null });
      await trx.deleteFrom('listener_protection').where('listener_id', '=', listener.id).execute();
    });
    return reply.status(204).send();
  });
}
