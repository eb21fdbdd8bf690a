// Batch look-ups of child ids for serializing many objects with one query per relation.
import { sql } from 'kysely';
import type { Db } from './database.ts';
import type { Table } from './schema.ts';

/** Maps each parent id to the ids of `table` rows whose `column` points at it, oldest first. */
export async function idsByParent(db: Db, table: Table, column: string, parentIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (parentIds.length === 0) return out;
  const result = await sql<{ id: string; parent: string }>`
    select id, ${sql.ref(column)} as parent from ${sql.table(table)}
    where ${sql.ref(column)} = any(${parentIds}::uuid[]) order by created_at, id`.execute(db);
  for (const row of result.rows) {
    const list = out.get(row.parent) ?? [];
    list.push(row.id);
    out.set(row.parent, list);
  }
  return out;
}

/** A child table and the column of it that points at the parent. */
export interface Relation {
  table: Table;
  column: string;
}

/**
 * `idsByParent` for several relations of the same parents in one query (one round trip
 * instead of one per relation): each relation's map, oldest child first.
 */
export async function idsByParents<K extends string>(db: Db, relations: Record<K, Relation>, parentIds: string[]): Promise<Record<K, Map<string, string[]>>> {
  const keys = Object.keys(relations) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, new Map<string, string[]>()])) as Record<K, Map<string, string[]>>;
  if (parentIds.length === 0 || keys.length === 0) return out;
  const parts = keys.map(
    (k, i) => sql`select ${sql.lit(i)} as rel, id, ${sql.ref(relations[k].column)} as parent, created_at from ${sql.table(relations[k].table)}
      where ${sql.ref(relations[k].column)} = any(${parentIds}::uuid[])`,
  );
  const result = await sql<{ rel: number; id: string; parent: string }>`${sql.join(parts, sql` union all `)} order by rel, created_at, id`.execute(db);
  for (const row of result.rows) {
    const map = out[keys[row.rel]];
    const list = map.get(row.parent) ?? [];
    list.push(row.id);
    map.set(row.parent, list);
  }
  return out;
}
