// /v2/fulcrum/webhooks: where events are POSTed, signed with the hook's secret (never returned),
// and the record of each delivery (pending, delivered, dead) with its attempts and last error.
// A tenant registers hooks for its own project's events; an administrator for any project, or
// for every project and the control plane at once (`"project_id": null`).
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import type { Db } from '../../db/database.ts';
import type { WebhookDeliveryTable, WebhookTable } from '../../db/schema.ts';
import { listRows } from '../../db/list-rows.ts';
import { Forbidden, NotFound, ValidationFailure } from '../../errors.ts';
import { authorize, mayListAllProjects } from '../../auth/policy.ts';
import { isUuid, parseListQuery, selectFields, type RawQuery } from '../../model/list-query.ts';
import { unknownEventTypes, webhookUrlProblem } from '../../model/webhook-rules.ts';
import { secretStoreFor } from '../../certs/secret-store.ts';
import { webhookSecretContext } from '../../observability/webhook-delivery.ts';
import { hostRefusal } from '../../observability/webhook-address-guard.ts';
import { octaviaTime } from '../octavia/common.ts';
import { IdParams, Nullable, ProjectId, Strict, Type, Wrapped } from '../octavia/schema-types.ts';
import { pageLinks } from '../links.ts';

type WebhookRow = Selectable<WebhookTable>;
type DeliveryRow = Selectable<WebhookDeliveryTable>;

const WebhookCreate = Wrapped(
  'webhook',
  Strict({
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    secret: Type.String({ minLength: 16, maxLength: 1024 }),
    event_types: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64 })),
    project_id: Type.Optional(Nullable(ProjectId)),
  }),
);

function view(row: WebhookRow) {
  return {
    id: row.id,
    project_id: row.project_id,
    url: row.url,
    event_types: row.event_types ?? [],
    created_at: octaviaTime(row.created_at),
  };
}

function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    webhook_id: row.webhook_id,
    event_id: row.event_id,
    status: row.status,
    attempts: row.attempts,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    created_at: octaviaTime(row.created_at),
    last_attempt_at: octaviaTime(row.last_attempt_at),
    delivered_at: octaviaTime(row.delivered_at),
  };
}

const HOOK_ATTRS = {
  id: { column: 'id', type: 'uuid' },
  project_id: { column: 'project_id', type: 'string' },
  url: { column: 'url', type: 'string' },
  created_at: { column: 'created_at', type: 'time' },
} as const;

const DELIVERY_ATTRS = {
  id: { column: 'id', type: 'uuid' },
  event_id: { column: 'event_id', type: 'uuid' },
  status: { column: 'status', type: 'string' },
  attempts: { column: 'attempts', type: 'int' },
  created_at: { column: 'created_at', type: 'time' },
} as const;

/** The hook's project: the body's (null: every project), else the caller's. */
function projectOf(request: FastifyRequest, body: { project_id?: string | null }): string | null {
  return body.project_id !== undefined ? body.project_id : request.auth.projectId;
}

async function fetchHook(request: FastifyRequest, db: Db, id: string): Promise<WebhookRow> {
  const row = isUuid(id) ? await db.selectFrom('webhook').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst() : undefined;
  if (!row) throw new NotFound('Webhook', id);
  authorize(request, row.project_id);
  return row;
}

export async function webhookRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/fulcrum/webhooks';

  app.post(base, { config: { policy: 'fulcrum:webhook:post' }, schema: { body: WebhookCreate } }, async (request, reply) => {
    const body = request.body.webhook;
    const projectId = projectOf(request, body);
    // A null project reaches every project's events: only who may act on any project passes.
    authorize(request, projectId);
    const urlProblem = webhookUrlProblem(body.url);
    if (urlProblem) throw new ValidationFailure(urlProblem);
    const refusal = await hostRefusal(body.url, { denied: deps.config.webhookDeniedCidrs, allowed: deps.config.webhookAllowedCidrs });
    if (refusal) throw new ValidationFailure(`Webhook URL ${body.url} is refused: ${refusal}.`);
    const types = [...new Set(body.event_types ?? [])];
    const unknown = unknownEventTypes(types);
    if (unknown.length > 0) throw new ValidationFailure(`Unknown event types: ${unknown.join(', ')}.`);
    const id = randomUUID();
    const sealed = secretStoreFor(deps.config).seal(body.secret, webhookSecretContext(id));
    const row = await db
      .insertInto('webhook')
      .values({ id, project_id: projectId, url: body.url, sealed_secret: sealed, event_types: JSON.stringify(types) })
      .returningAll()
      .executeTakeFirstOrThrow();
    return reply.status(201).send({ webhook: view(row) });
  });

  app.get(base, { config: { policy: 'fulcrum:webhook:get_all' } }, async (request) => {
    const query = parseListQuery(request.query as RawQuery, HOOK_ATTRS, deps.config.paginationMaxLimit, { tags: false });
    const where: Record<string, string> = {};
    if (!mayListAllProjects(request)) {
      if (query.projectId !== null && query.projectId !== request.auth.projectId) throw new Forbidden();
      where.project_id = request.auth.projectId ?? '';
    }
    const rows = await listRows<WebhookRow>(db, 'webhook', query, { where });
    return { webhooks: rows.map((r) => selectFields(view(r), query.fields)), webhooks_links: pageLinks(request, deps.config.apiBaseUri, query, rows) };
  });

  app.get(`${base}/:id`, { config: { policy: 'fulcrum:webhook:get_one' }, schema: { params: IdParams } }, async (request) => {
    return { webhook: view(await fetchHook(request, db, request.params.id)) };
  });

  app.delete(`${base}/:id`, { config: { policy: 'fulcrum:webhook:delete' }, schema: { params: IdParams } }, async (request, reply) => {
    const row = await fetchHook(request, db, request.params.id);
    // Its deliveries go with it; a delivery job still queued finds no row and ends.
    await db.deleteFrom('webhook').where('id', '=', row.id).execute();
    return reply.status(204).send();
  });

  app.get(`${base}/:id/deliveries`, { config: { policy: 'fulcrum:webhook:get_deliveries' }, schema: { params: IdParams } }, async (request) => {
    const hook = await fetchHook(request, db, request.params.id);
    const query = parseListQuery(request.query as RawQuery, DELIVERY_ATTRS, deps.config.paginationMaxLimit, { tags: false });
    const rows = await listRows<DeliveryRow>(db, 'webhook_delivery', query, { where: { webhook_id: hook.id } });
    return { deliveries: rows.map((r) => selectFields(deliveryView(r), query.fields)), deliveries_links: pageLinks(request, deps.config.apiBaseUri, query, rows) };
  });
}
