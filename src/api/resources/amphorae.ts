// /v2/octavia/amphorae: the operator amphora API (docs/octavia-compatibility.md §5.13). Amphorae belong to no
// project, so every route authorizes against the caller's own project (the policy makes them
// administrator-only). Failover locks the amphora's load balancer like an LB failover; delete
// and config push are jobs of their own (src/providers/amphora/operator-flows.ts).
import type { FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { IdParams } from '../octavia/schema-types.ts';
import type { Db } from '../../db/database.ts';
import { authorize } from '../../auth/policy.ts';
import { ImmutableObject, NotFound } from '../../errors.ts';
import { listGlobal, showGlobal, type GlobalSpec } from '../global-resource.ts';
import { isUuid } from '../../model/list-query.ts';
import { AMPHORA_ATTRS, amphoraStatsEntry, serializeAmphora, type AmphoraRow } from '../octavia/amphora.ts';
import { enqueueJob } from '../../flows/job-store.ts';
import { AMPHORA_CONFIG, AMPHORA_DELETE } from '../../providers/amphora/operator-flows.ts';
import { AMPHORA_FAILOVER_STATES, failover } from '../failover.ts';

const amphoraSpec: GlobalSpec<AmphoraRow> = {
  table: 'amphora_api',
  single: 'amphora',
  plural: 'amphorae',
  linksKey: 'amphorae_links',
  attrs: AMPHORA_ATTRS,
  serialize: serializeAmphora,
};

function authorizeCaller(request: FastifyRequest): void {
  authorize(request, request.auth.projectId);
}

/** A live amphora (DELETED ones are hidden), or 404. */
async function fetchAmphora(db: Db, id: string): Promise<AmphoraRow> {
  const row = isUuid(id) ? await db.selectFrom('amphora_api').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst() : undefined;
  if (!row) throw new NotFound('Amphora', id);
  return row;
}

async function amphoraStats(db: Db, amphoraId: string) {
  const rows = await db
    .selectFrom('listener_statistics')
    .innerJoin('listener', 'listener.id', 'listener_statistics.listener_id')
    .select([
      'listener_statistics.listener_id',
      'listener_statistics.load_balancer_id',
      'bytes_in',
      'bytes_out',
      'active_connections',
      'total_connections',
      'request_errors',
    ])
    .where('listener_statistics.amphora_id', '=', amphoraId)
    .orderBy('listener.created_at')
    .orderBy('listener.id')
    .execute();
  return rows.map((r) =>
    amphoraStatsEntry(amphoraId, r.listener_id, r.load_balancer_id, {
      bytes_in: Number(r.bytes_in),
      bytes_out: Number(r.bytes_out),
      active_connections: Number(r.active_connections),
      total_connections: Number(r.total_connections),
      request_errors: Number(r.request_errors),
    }),
  );
}

export async function amphoraRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/octavia/amphorae';

  app.get(base, { config: { policy: 'amphora:get_all' } }, async (request) => {
    authorizeCaller(request);
    return listGlobal(request, deps, amphoraSpec);
  });

  app.get(`${base}/:id`, { config: { policy: 'amphora:get_one' }, schema: { params: IdParams } }, async (request) => {
    authorizeCaller(request);
    return showGlobal(request, amphoraSpec, await fetchAmphora(db, request.params.id));
  });

  app.get(`${base}/:id/stats`, { config: { policy: 'amphora:get_stats' }, schema: { params: IdParams } }, async (request) => {
    authorizeCaller(request);
    const amphora = await fetchAmphora(db, request.params.id);
    const stats = await amphoraStats(db, amphora.id);
    if (stats.length === 0) throw new NotFound('Amphora stats for', amphora.id);
    return { amphora_stats: stats };
  });

  app.put(`${base}/:id/failover`, { config: { policy: 'amphora:put_failover' }, schema: { params: IdParams } }, async (request, reply) => {
    authorizeCaller(request);
    const amphora = await fetchAmphora(db, request.params.id);
    // An amphora that serves no load balancer has nothing to fail over to.
    if (!amphora.load_balancer_id) throw new ImmutableObject('Amphora', amphora.id);
    await failover(deps, amphora.load_balancer_id, AMPHORA_FAILOVER_STATES, amphora.id);
    return reply.status(202).send();
  });

  app.put(`${base}/:id/config`, { config: { policy: 'amphora:put_config' }, schema: { params: IdParams } }, async (request, reply) => {
    authorizeCaller(request);
    const amphora = await fetchAmphora(db, request.params.id);
    await enqueueJob(db, { kind: AMPHORA_CONFIG, payload: { amphoraId: amphora.id }, loadBalancerId: amphora.load_balancer_id, maxAttempts: deps.config.jobMaxAttempts });
    return reply.status(202).send();
  });

  app.delete(`${base}/:id`, { config: { policy: 'amphora:delete' }, schema: { params: IdParams } }, async (request, reply) => {
    authorizeCaller(request);
    const { id } = request.params;
    const amphora = await fetchAmphora(db, id);
    await db.transaction().execute(async (trx) => {
      // Only an amphora in ERROR may go (docs/octavia-compatibility.md §4.2); the row lock orders racing deletes.
      const current = await trx.selectFrom('amphora').select('status').where('id', '=', amphora.id).forUpdate().executeTakeFirst();
      if (!current || current.status === 'DELETED') throw new NotFound('Amphora', id);
      if (current.status !== 'ERROR') throw new ImmutableObject('Amphora', amphora.id);
      await trx.updateTable('amphora').set({ status: 'PENDING_DELETE', updated_at: sql`now()` }).where('id', '=', amphora.id).execute();
      await enqueueJob(trx, { kind: AMPHORA_DELETE, payload: { amphoraId: amphora.id }, loadBalancerId: amphora.load_balancer_id, maxAttempts: deps.config.jobMaxAttempts });
    });
    return reply.status(204).send();
  });
}
