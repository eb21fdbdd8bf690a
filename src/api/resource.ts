// Reading resources the Octavia way, shared by every collection: project scoping, list query,
// pagination links, field selection and the "<Resource> <id> not found." fault. On the embedded
// database, serialized objects are reused while nothing was written (read-cache.ts).
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/database.ts';
import type { Table } from '../db/schema.ts';
import { listRows } from '../db/list-rows.ts';
import { Forbidden, NotFound } from '../errors.ts';
import { authorize, mayListAllProjects } from '../auth/policy.ts';
import { isUuid, parseListQuery, selectFields, type ListAttributes, type RawQuery } from '../model/list-query.ts';
import { pageLinks } from './links.ts';
import { readCacheOf } from './read-cache.ts';
import type { ApiDeps } from './deps.ts';

export type ApiObject = Record<string, unknown>;

export interface ResourceSpec<Row extends { id: string; project_id: string }> {
  table: Table;
  /** As in "Load Balancer <id> not found." */
  displayName: string;
  single: string;
  plural: string;
  linksKey?: string;
  attrs: ListAttributes;
  /** Rows in this provisioning status are gone as far as the API is concerned. */
  hideStatus?: string;
  serialize(db: Db, rows: Row[]): Promise<ApiObject[]>;
}

/** Attributes every provisioned object can be filtered and sorted by. */
export const COMMON_ATTRS: ListAttributes = {
  id: { column: 'id', type: 'uuid' },
  name: { column: 'name', type: 'string' },
  project_id: { column: 'project_id', type: 'string' },
  provisioning_status: { column: 'provisioning_status', type: 'string' },
  operating_status: { column: 'operating_status', type: 'string' },
  admin_state_up: { column: 'admin_state_up', type: 'bool' },
  created_at: { column: 'created_at', type: 'time' },
  updated_at: { column: 'updated_at', type: 'time' },
};

function fieldsOf(request: FastifyRequest): string[] | null {
  const raw = (request.query as RawQuery).fields;
  if (raw === undefined) return null;
  return Array.isArray(raw) ? raw : [raw];
}

/** Loads one row, 404 when it does not exist (or is hidden), 403 when it is another project's. */
export async function fetchRow<Row extends { id: string; project_id: string }>(
  request: FastifyRequest,
  db: Db,
  spec: ResourceSpec<Row>,
  id: string,
): Promise<Row> {
  const row = isUuid(id)
    ? ((await db.selectFrom(spec.table).selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst()) as
        | (Row & { provisioning_status?: string })
        | undefined)
    : undefined;
  if (!row || (spec.hideStatus && row.provisioning_status === spec.hideStatus)) throw new NotFound(spec.displayName, id);
  authorize(request, row.project_id);
  return row;
}

interface CachedShow {
  projectId: string;
  obj: ApiObject;
}

interface CachedList {
  rows: { id: string }[];
  objects: ApiObject[];
}

export async function showResource<Row extends { id: string; project_id: string }>(
  request: FastifyRequest,
  deps: ApiDeps,
  spec: ResourceSpec<Row>,
  id: string,
): Promise<ApiObject> {
  const version = deps.database.dataVersion?.();
  const cache = version === undefined ? null : readCacheOf<CachedShow>(spec);
  const key = `show ${id}`;
  let hit = cache?.get(key, version!);
  if (hit) authorize(request, hit.projectId);
  else {
    const row = await fetchRow(request, deps.database.db, spec, id);
    const [obj] = await spec.serialize(deps.database.db, [row]);
    hit = { projectId: row.project_id, obj };
    cache?.set(key, version!, hit);
  }
  return { [spec.single]: selectFields(hit.obj, fieldsOf(request)) };
}

export async function listResource<Row extends { id: string; project_id: string }>(
  request: FastifyRequest,
  deps: ApiDeps,
  spec: ResourceSpec<Row>,
  where: Record<string, string> = {},
): Promise<ApiObject> {
  const query = parseListQuery(request.query as RawQuery, spec.attrs, deps.config.paginationMaxLimit, { tags: true });
  const scope = { ...where };
  if (!mayListAllProjects(request)) {
    if (query.projectId !== null && query.projectId !== request.auth.projectId) throw new Forbidden();
    scope.project_id = request.auth.projectId ?? '';
  }
  const version = deps.database.dataVersion?.();
  const cache = version === undefined ? null : readCacheOf<CachedList>(spec);
  // The scope (after authorization) and the query string decide the rows.
  const q = request.url.indexOf('?');
  const key = `list ${JSON.stringify(scope)} ${q === -1 ? '' : request.url.slice(q)}`;
  let hit = cache?.get(key, version!);
  if (!hit) {
    const rows = await listRows<Row>(deps.database.db, spec.table, query, { where: scope, hideStatus: spec.hideStatus });
    hit = { rows, objects: await spec.serialize(deps.database.db, rows) };
    cache?.set(key, version!, hit);
  }
  return {
    [spec.plural]: hit.objects.map((o) => selectFields(o, query.fields)),
    [spec.linksKey ?? `${spec.plural}_links`]: pageLinks(request, deps.config.apiBaseUri, query, hit.rows),
  };
}
