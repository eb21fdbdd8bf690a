// Runs a parsed list query against one table: exact-match filters, jsonb tag filters, sort
// with id/created_at tie-breakers, and keyset pagination from a marker row.
import { sql, type RawBuilder, type Sql } from 'kysely';
import type { Db } from './database.ts';
import type { Table } from './schema.ts';
import { storable, type Filter, type ListQuery, type SortKey } from '../model/list-query.ts';
import { InvalidListQuery } from '../errors.ts';

export interface ListScope {
  /** Extra exact-match conditions fixed by the route (parent id, project scoping). */
  where: Record<string, string>;
  /** Rows with these provisioning statuses are invisible (the DELETED load balancers). */
  hideStatus?: string;
  /** Lower bounds, inclusive (an events list's `since`): column → value. */
  atLeast?: Record<string, string>;
}

function col(name: string): RawBuilder<unknown> {
  return sql.ref(`t.${name}`);
}

/** "Row t comes after the marker row m" for one sort key, NULLs ordered as PostgreSQL does. */
function after(key: SortKey, marker: unknown): RawBuilder<unknown> {
  const c = col(key.column);
  if (key.dir === 'asc') return marker === null ? sql`false` : sql`(${c} > ${marker} or ${c} is null)`;
  return marker === null ? sql`${c} is not null` : sql`${c} < ${marker}`;
}

function equal(key: SortKey, marker: unknown): RawBuilder<unknown> {
  return marker === null ? sql`${col(key.column)} is null` : sql`${col(key.column)} = ${marker}`;
}

function filter(f: Filter): RawBuilder<unknown> {
  if (f.value === null) return sql`false`;
  // An untyped parameter takes the column's type, and an int4 column turns 99999999999 into an
  // error; as a bigint it is just a value no row has (and int4 = int8 can still use an index).
  if (typeof f.value === 'number') return sql`${col(f.column)} = ${f.value}::bigint`;
  return sql`${col(f.column)} = ${f.value}`;
}

function flip(keys: SortKey[]): SortKey[] {
  return keys.map((k) => ({ column: k.column, dir: k.dir === 'asc' ? 'desc' : 'asc' }));
}

export async function listRows<T>(db: Db, table: Table, query: ListQuery, scope: ListScope): Promise<T[]> {
  const conditions: RawBuilder<unknown>[] = [];
  for (const [column, value] of Object.entries(scope.where)) conditions.push(sql`${col(column)} = ${value}`);
  if (scope.hideStatus) conditions.push(sql`${col('provisioning_status')} <> ${scope.hideStatus}`);
  for (const [column, value] of Object.entries(scope.atLeast ?? {})) conditions.push(sql`${col(column)} >= ${value}`);
  for (const f of query.filters) conditions.push(filter(f));
  // A tag with a NUL in it cannot be stored (jsonb and text reject it, with an error if we
  // sent it), so no row has it: each filter is decided for that tag without asking the database.
  const { all, any, notAll, notAny } = query.tags;
  const tags = col('tags');
  if (all.length) conditions.push(all.every(storable) ? sql`${tags} @> ${JSON.stringify(all)}::jsonb` : sql`false`);
  if (any.length) {
    const some = any.filter(storable);
    conditions.push(some.length ? sql`${tags} ?| ${sql.val(some)}::text[]` : sql`false`);
  }
  if (notAll.length && notAll.every(storable)) conditions.push(sql`not (${tags} @> ${JSON.stringify(notAll)}::jsonb)`);
  const none = notAny.filter(storable);
  if (none.length) conditions.push(sql`not (${tags} ?| ${sql.val(none)}::text[])`);

  const keys = query.pageReverse ? flip(query.sort) : query.sort;
  if (query.marker) {
    const columns = keys.map((k) => sql.ref(k.column));
    const marker = await sql<Record<string, unknown>>`select ${sql.join(columns)} from ${sql.table(table)} where id = ${query.marker}`.execute(db);
    const m = marker.rows[0];
    if (!m) throw new InvalidListQuery(`Supplied pagination marker '${query.marker}' is not valid.`);
    const alternatives = keys.map((key, i) =>
      sql.join([...keys.slice(0, i).map((k) => equal(k, m[k.column])), after(key, m[key.column])], sql` and `),
    );
    conditions.push(sql`(${sql.join(alternatives, sql` or `)})`);
  }
  const where: Sql | RawBuilder<unknown> = conditions.length ? sql`where ${sql.join(conditions, sql` and `)}` : sql``;
  const order = sql.join(keys.map((k) => sql`${col(k.column)} ${sql.raw(k.dir)}`));
  const result = await sql<T>`select t.* from ${sql.table(table)} t ${where} order by ${order} limit ${query.limit}`.execute(db);
  return query.pageReverse ? result.rows.reverse() : result.rows;
}
