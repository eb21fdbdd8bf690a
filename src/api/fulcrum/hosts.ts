// /v2/fulcrum/hosts: the device inventory, for operators (policy rules fulcrum:host:*, admin
// only by default). Hosts are listed with their load and liveness; an operator sets a host's
// admin_state (DRAINING empties it: the health manager moves its amphorae away), its capacity
// and labels, deletes an empty host, and hands out the one-time join tokens new hosts present
// at POST /v2/fulcrum/hosts/join (public: the token is the credential). POST
// /v2/fulcrum/loadbalancers/{id}/migrate moves one load balancer to a chosen host.
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import type { Db } from '../../db/database.ts';
import { listRows } from '../../db/list-rows.ts';
import { Conflict, InvalidInput, NotFound } from '../../errors.ts';
import { authorize } from '../../auth/policy.ts';
import { isUuid, parseListQuery, selectFields, type RawQuery } from '../../model/list-query.ts';
import { HOST_NAME_MAX_LENGTH, HOST_NAME_PATTERN } from '../../model/host-name.ts';
import { amphoraCounts, type HostRow } from '../../inventory/host-store.ts';
import { createJoinToken, DEFAULT_TOKEN_TTL_S, MAX_TOKEN_TTL_S } from '../../inventory/join-tokens.ts';
import { ADMIN_STATES, refusal } from '../../inventory/scheduler.ts';
import { octaviaTime } from '../octavia/common.ts';
import { pageLinks } from '../links.ts';
import { IdParams, Nullable, Port, StringEnum, Strict, Type, Uuid, Wrapped } from '../octavia/schema-types.ts';
import { joinHost } from '../host-join.ts';
import { failover } from '../failover.ts';
import { recordEvent } from '../../observability/events.ts';
import { HOST_ADMIN_STATE } from '../../model/event-types.ts';

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,62}$/;
const Labels = Type.Record(Type.String(), Type.String({ maxLength: 255 }), { maxProperties: 64 });
const Capacity = Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000 }));
const Zone = Nullable(Type.String({ minLength: 1, maxLength: 255 }));

const HostUpdate = Wrapped('host', Strict({ admin_state: Type.Optional(StringEnum(ADMIN_STATES)), capacity: Type.Optional(Capacity), labels: Type.Optional(Labels) }));
const TokenCreate = Type.Object(
  { join_token: Type.Optional(Strict({ ttl_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TOKEN_TTL_S })) })) },
  { additionalProperties: false },
);
const Join = Wrapped(
  'join',
  Strict({
    token: Type.String({ minLength: 1, maxLength: 200 }),
    csr: Type.String({ minLength: 1, maxLength: 20_000 }),
    name: Type.String({ minLength: 1, maxLength: HOST_NAME_MAX_LENGTH, pattern: HOST_NAME_PATTERN }),
    address: Type.String({ minLength: 1, maxLength: 64 }),
    port: Port,
    availability_zone: Type.Optional(Zone),
    capacity: Type.Optional(Capacity),
    labels: Type.Optional(Labels),
  }),
);
const Migrate = Strict({ host_id: Uuid, amphora_id: Type.Optional(Uuid) });

const LIST_ATTRS = {
  id: { column: 'id', type: 'uuid' },
  name: { column: 'name', type: 'string' },
  address: { column: 'address', type: 'string' },
  port: { column: 'port', type: 'int' },
  availability_zone: { column: 'availability_zone', type: 'string' },
  admin_state: { column: 'admin_state', type: 'string' },
  operating_status: { column: 'operating_status', type: 'string' },
  kind: { column: 'kind', type: 'string' },
  created_at: { column: 'created_at', type: 'time' },
} as const;

function checkLabels(labels: Record<string, string> | undefined): void {
  for (const key of Object.keys(labels ?? {})) {
    if (!LABEL_KEY.test(key)) throw new InvalidInput(`Invalid input for field/attribute labels. Value: '${key}'. A label key is 1-63 letters, digits and _.-/, starting with a letter or digit.`);
  }
}

function hostView(h: HostRow, amphoraCount: number) {
  return {
    id: h.id,
    name: h.name,
    kind: h.kind,
    address: h.address,
    port: h.port,
    availability_zone: h.availability_zone,
    admin_state: h.admin_state,
    operating_status: h.operating_status,
    amphora_count: amphoraCount,
    capacity: h.capacity,
    labels: h.labels,
    last_seen_at: octaviaTime(h.last_seen_at),
    // The agent certificate of a joined host (null for the local one), renewed by housekeeping.
    certificate_serial: h.certificate_serial,
    certificate_expires_at: octaviaTime(h.certificate_not_after),
    certificate_renewed_at: octaviaTime(h.certificate_renewed_at),
    certificate_renewal_error: h.certificate_renewal_error,
    created_at: octaviaTime(h.created_at),
    updated_at: octaviaTime(h.updated_at),
  };
}

async function findHost(db: Db, id: string): Promise<HostRow> {
  const row = isUuid(id) ? await db.selectFrom('host').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst() : undefined;
  if (!row) throw new NotFound('Host', id);
  return row;
}

async function amphoraIdsOn(db: Db, hostId: string): Promise<string[]> {
  const rows = await db.selectFrom('amphora').select('id').where('host_id', '=', hostId).where('status', '<>', 'DELETED').orderBy('id').execute();
  return rows.map((r) => r.id);
}

export async function hostRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;

  app.get('/v2/fulcrum/hosts', { config: { policy: 'fulcrum:host:get_all' } }, async (request) => {
    authorize(request, request.auth.projectId);
    const query = parseListQuery(request.query as RawQuery, LIST_ATTRS, deps.config.paginationMaxLimit, { tags: false });
    const rows = await listRows<HostRow>(db, 'host', query, { where: {} });
    const counts = await amphoraCounts(db, rows.map((r) => r.id));
    const hosts = rows.map((r) => selectFields(hostView(r, counts.get(r.id) ?? 0), query.fields));
    return { hosts, hosts_links: pageLinks(request, deps.config.apiBaseUri, query, rows) };
  });

  app.get('/v2/fulcrum/hosts/:id', { config: { policy: 'fulcrum:host:get_one' }, schema: { params: IdParams } }, async (request) => {
    authorize(request, request.auth.projectId);
    const host = await findHost(db, request.params.id);
    const amphoraIds = await amphoraIdsOn(db, host.id);
    return { host: { ...hostView(host, amphoraIds.length), amphora_ids: amphoraIds } };
  });

  app.put('/v2/fulcrum/hosts/:id', { config: { policy: 'fulcrum:host:put' }, schema: { params: IdParams, body: HostUpdate } }, async (request) => {
    authorize(request, request.auth.projectId);
    const host = await findHost(db, request.params.id);
    const body = request.body.host;
    checkLabels(body.labels);
    await db.transaction().execute(async (trx) => {
      // The state replaced is read under the row lock: of two operators changing it at once,
      // each event names the state its own change replaced.
      const before = await trx.selectFrom('host').select('admin_state').where('id', '=', host.id).forUpdate().executeTakeFirstOrThrow();
      await trx
        .updateTable('host')
        .set({
          ...(body.admin_state !== undefined ? { admin_state: body.admin_state } : {}),
          ...(body.capacity !== undefined ? { capacity: body.capacity } : {}),
          ...(body.labels !== undefined ? { labels: JSON.stringify(body.labels) } : {}),
          updated_at: new Date(),
        })
        .where('id', '=', host.id)
        .execute();
      if (body.admin_state === undefined || body.admin_state === before.admin_state) return;
      await recordEvent(trx, {
        type: HOST_ADMIN_STATE,
        projectId: null,
        loadBalancerId: null,
        detail: { host_id: host.id, name: host.name, from: before.admin_state, to: body.admin_state, by: 'operator', caller_project_id: request.auth.projectId },
      });
    });
    const updated = await findHost(db, host.id);
    const amphoraIds = await amphoraIdsOn(db, host.id);
    return { host: { ...hostView(updated, amphoraIds.length), amphora_ids: amphoraIds } };
  });

  app.delete('/v2/fulcrum/hosts/:id', { config: { policy: 'fulcrum:host:delete' }, schema: { params: IdParams } }, async (request, reply) => {
    authorize(request, request.auth.projectId);
    const host = await findHost(db, request.params.id);
    await db.transaction().execute(async (trx) => {
      // The row lock keeps a placement from landing on the host between the check and the delete.
      await trx.selectFrom('host').select('id').where('id', '=', host.id).forUpdate().execute();
      const used = await trx.selectFrom('amphora').select('id').where('host_id', '=', host.id).where('status', '<>', 'DELETED').executeTakeFirst();
      if (used) throw new Conflict(`Host ${host.id} is in use and cannot be deleted: it runs amphora ${used.id}. Drain it first (admin_state DRAINING).`);
      await trx.deleteFrom('host').where('id', '=', host.id).execute();
    });
    return reply.status(204).send();
  });

  app.post('/v2/fulcrum/hosts/join-tokens', { config: { policy: 'fulcrum:host:create_join_token' }, schema: { body: TokenCreate } }, async (request, reply) => {
    authorize(request, request.auth.projectId);
    const { token, expiresAt } = await createJoinToken(db, request.body.join_token?.ttl_seconds ?? DEFAULT_TOKEN_TTL_S);
    return reply.status(201).send({ join_token: { token, expires_at: octaviaTime(expiresAt) } });
  });

  app.post('/v2/fulcrum/hosts/join', { schema: { body: Join } }, async (request, reply) => {
    const body = request.body.join;
    checkLabels(body.labels);
    const { host, certificatePem, caPem } = await joinHost(deps, body);
    request.log.info({ host_id: host.id, name: host.name, address: `${host.address}:${host.port}` }, 'host joined the inventory');
    return reply.status(201).send({ host: hostView(host, 0), certificate: certificatePem, ca_certificate: caPem });
  });

  app.post('/v2/fulcrum/loadbalancers/:id/migrate', { config: { policy: 'fulcrum:loadbalancer:migrate' }, schema: { params: IdParams, body: Migrate } }, async (request, reply) => {
    authorize(request, request.auth.projectId);
    const { id } = request.params;
    const lb = isUuid(id)
      ? await db.selectFrom('load_balancer').select(['id', 'topology', 'availability_zone']).where('id', '=', id.toLowerCase()).where('provisioning_status', '<>', 'DELETED').executeTakeFirst()
      : undefined;
    if (!lb) throw new NotFound('Load Balancer', id);
    const target = await findHost(db, request.body.host_id).catch(() => {
      throw new InvalidInput(`Invalid input for field/attribute host_id. Value: '${request.body.host_id}'. Host not found.`);
    });
    const amphorae = await db.selectFrom('amphora').select(['id', 'host_id']).where('load_balancer_id', '=', lb.id).where('status', 'not in', ['DELETED', 'ERROR']).execute();
    const amphoraId = request.body.amphora_id?.toLowerCase();
    if (amphoraId && !amphorae.some((a) => a.id === amphoraId)) throw new InvalidInput(`Invalid input for field/attribute amphora_id. Value: '${amphoraId}'. It is not an amphora of load balancer ${lb.id}.`);
    if (lb.topology === 'ACTIVE_STANDBY' && !amphoraId) {
      throw new InvalidInput('Invalid input: the two amphorae of an ACTIVE_STANDBY load balancer never share a host; name the amphora_id to move.');
    }
    const moving = amphorae.filter((a) => !amphoraId || a.id === amphoraId);
    if (moving.length > 0 && moving.every((a) => a.host_id === target.id)) throw new Conflict(`Load balancer ${lb.id} already runs on host ${target.name}.`);
    const why = refusal(
      { id: target.id, name: target.name, availabilityZone: target.availability_zone, adminState: target.admin_state, operatingStatus: target.operating_status, capacity: target.capacity, labels: target.labels, amphoraCount: (await amphoraCounts(db, [target.id])).get(target.id) ?? 0 },
      { availabilityZone: lb.availability_zone },
    );
    if (why) throw new Conflict(`Host ${target.name} cannot take load balancer ${lb.id}: ${why}.`);
    await failover(deps, lb.id, ['ACTIVE'], amphoraId, target.id);
    return reply.status(202).send();
  });
}
