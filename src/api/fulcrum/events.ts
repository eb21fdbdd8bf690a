// /v2/fulcrum/events: what happened to a project's load balancers (provisioning failures,
// operating status changes, failovers, quota met, certificates near expiry) and, for
// administrators, to the control plane (circuit breakers, hosts). Project-scoped like every read.
import type { FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { listRows } from '../../db/list-rows.ts';
import { Forbidden, InvalidListQuery, NotFound } from '../../errors.ts';
import { authorize, mayListAllProjects } from '../../auth/policy.ts';
import { isEventType } from '../../model/event-types.ts';
import { isUuid, parseListQuery, selectFields, type RawQuery } from '../../model/list-query.ts';
import { eventView, type EventRow } from '../../observability/event-view.ts';
import { IdParams } from '../octavia/schema-types.ts';
import { pageLinks } from '../links.ts';

const ATTRS = {
  id: { column: 'id', type: 'uuid' },
  type: { column: 'type', type: 'string' },
  severity: { column: 'severity', type: 'string' },
  loadbalancer_id: { column: 'load_balancer_id', type: 'uuid' },
  project_id: { column: 'project_id', type: 'string' },
  created_at: { column: 'created_at', type: 'time' },
} as const;

const SEVERITIES = new Set(['info', 'warning', 'error']);

function single(raw: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(raw)) throw new InvalidListQuery();
  if (raw !== undefined && raw.length === 0) throw new InvalidListQuery(`Invalid input for field/attribute ${name}. Value: ''.`);
  return raw;
}

/** `since`: a time (UTC when it names no zone); a value that is not one is refused, not ignored. */
function sinceOf(raw: string | string[] | undefined): string | null {
  const value = single(raw, 'since');
  if (value === undefined) return null;
  const ms = Date.parse(/([zZ]|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`);
  if (Number.isNaN(ms) || new Date(ms).getUTCFullYear() > 9999) throw new InvalidListQuery(`Invalid input for field/attribute since. Value: '${value}'.`);
  return new Date(ms).toISOString();
}

/** Unknown types and severities are mistakes worth a 400, not an empty list. */
function checkFilters(query: RawQuery): void {
  const type = single(query.type, 'type');
  if (type !== undefined && !isEventType(type)) throw new InvalidListQuery(`Invalid input for field/attribute type. Value: '${type}'.`);
  const severity = single(query.severity, 'severity');
  if (severity !== undefined && !SEVERITIES.has(severity)) throw new InvalidListQuery(`Invalid input for field/attribute severity. Value: '${severity}'.`);
  const lb = single(query.loadbalancer_id, 'loadbalancer_id');
  if (lb !== undefined && !isUuid(lb)) throw new InvalidListQuery(`Invalid input for field/attribute loadbalancer_id. Value: '${lb}'.`);
}

function scopeOf(request: FastifyRequest, projectFilter: string | null): Record<string, string> {
  if (mayListAllProjects(request)) return {};
  if (projectFilter !== null && projectFilter !== request.auth.projectId) throw new Forbidden();
  return { project_id: request.auth.projectId ?? '' };
}

export async function eventRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;

  app.get('/v2/fulcrum/events', { config: { policy: 'fulcrum:event:get_all' } }, async (request) => {
    const { since, ...rest } = request.query as RawQuery;
    checkFilters(rest);
    const from = sinceOf(since);
    const query = parseListQuery(rest, ATTRS, deps.config.paginationMaxLimit, { tags: false });
    const where = scopeOf(request, query.projectId);
    const rows = await listRows<EventRow>(db, 'event', query, { where, atLeast: from ? { created_at: from } : {} });
    const events = rows.map(eventView);
    return { events: events.map((e) => selectFields({ ...e }, query.fields)), events_links: pageLinks(request, deps.config.apiBaseUri, query, events) };
  });

  app.get('/v2/fulcrum/events/:id', { config: { policy: 'fulcrum:event:get_one' }, schema: { params: IdParams } }, async (request) => {
    const { id } = request.params;
    const row = isUuid(id) ? await db.selectFrom('event').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst() : undefined;
    if (!row) throw new NotFound('Event', id);
    authorize(request, row.project_id);
    return { event: eventView(row) };
  });
}
