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
