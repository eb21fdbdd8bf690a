// Listing and showing objects that belong to no project (flavors, zones, their profiles): the
// same list query, pagination links and field selection as project-owned collections, without
// project scoping. Routes authorize against the caller's own project before calling these.
import type { FastifyRequest } from 'fastify';
import type { Table } from '../db/schema.ts';
import { listRows } from '../db/list-rows.ts';
import { parseListQuery, selectFields, type ListAttributes, type RawQuery } from '../model/list-query.ts';
import { pageLinks } from './links.ts';
import type { ApiDeps } from './deps.ts';
import type { ApiObject } from './resource.ts';

export interface GlobalSpec<Row> {
  table: Table;
  single: string;
  plural: string;
  linksKey: string;
  attrs: ListAttributes;
  serialize(row: Row): ApiObject;
}

export function requestedFields(request: FastifyRequest): string[] | null {
  const raw = (request.query as RawQuery).fields;
  if (raw === undefined) return null;
  return Array.isArray(raw) ? raw : [raw];
}

export async function listGlobal<Row extends { id: string }>(
  request: FastifyRequest,
  deps: ApiDeps,
  spec: GlobalSpec<Row>,
  where: Record<string, string> = {},
): Promise<ApiObject> {
  const query = parseListQuery(request.query as RawQuery, spec.attrs, deps.config.paginationMaxLimit, { tags: false });
  const rows = await listRows<Row>(deps.database.db, spec.table, query, { where });
  return {
    [spec.plural]: rows.map((r) => selectFields(spec.serialize(r), query.fields)),
    [spec.linksKey]: pageLinks(request, deps.config.apiBaseUri, query, rows),
  };
}

export function showGlobal<Row>(request: FastifyRequest, spec: GlobalSpec<Row>, row: Row): ApiObject {
  return { [spec.single]: selectFields(spec.serialize(row), requestedFields(request)) };
}
