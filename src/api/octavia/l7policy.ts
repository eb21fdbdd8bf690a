// L7 policy ⇄ Octavia JSON (docs/octavia-compatibility.md §5.7). Responses list the policy's rules as
// `rules: [{id}]`; listeners list their policies in position order, and pools count the
// listeners whose policies redirect to them among their users.
import { sql, type Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { L7PolicyTable } from '../../db/schema.ts';
import { idsByParent } from '../../db/relations.ts';
import { L7_ACTIONS } from '../../model/lb-graph.ts';
import { MAX_POLICY_POSITION, REDIRECT_HTTP_CODES, type L7PolicyArguments } from '../../model/l7-policy.ts';
import { baseFields, idRefs, text } from './common.ts';
import { DescribedFields, Nullable, ProjectFields, Strict, StringEnum, Tags, Type, Uuid, Wrapped, type Static } from './schema-types.ts';

export type L7PolicyRow = Selectable<L7PolicyTable>;

// Whether it is a usable URL is judged with the action (model/l7-policy.ts), for one message.
const Url = Type.String({ maxLength: 255 });
const RedirectHttpCode = Type.Unsafe<number>({ type: 'integer', enum: [...REDIRECT_HTTP_CODES] });
const Position = Type.Integer({ minimum: 1, maximum: MAX_POLICY_POSITION });

const MutableFields = {
  ...DescribedFields,
  redirect_pool_id: Type.Optional(Nullable(Uuid)),
  redirect_url: Type.Optional(Nullable(Url)),
  redirect_prefix: Type.Optional(Nullable(Url)),
  redirect_http_code: Type.Optional(Nullable(RedirectHttpCode)),
  position: Type.Optional(Nullable(Position)),
  tags: Type.Optional(Tags),
};

export const L7PolicyCreate = Wrapped(
  'l7policy',
  Strict({
    ...MutableFields,
    ...ProjectFields,
    listener_id: Uuid,
    action: StringEnum(L7_ACTIONS),
  }),
);

export const L7PolicyUpdate = Wrapped('l7policy', Strict({ ...MutableFields, action: Type.Optional(StringEnum(L7_ACTIONS)) }));

export type L7PolicyInput = Partial<Static<typeof L7PolicyCreate>['l7policy']>;

export function policyArguments(row: L7PolicyRow): L7PolicyArguments {
  return {
    action: row.action as L7PolicyArguments['action'],
    redirect_pool_id: row.redirect_pool_id,
    redirect_url: row.redirect_url,
    redirect_prefix: row.redirect_prefix,
    redirect_http_code: row.redirect_http_code,
  };
}

export async function serializeL7Policies(db: Db, rows: L7PolicyRow[]) {
  const rules = await idsByParent(db, 'l7rule', 'l7policy_id', rows.map((r) => r.id));
  return rows.map((row) => ({
    ...baseFields(row),
    name: text(row.name),
    description: text(row.description),
    listener_id: row.listener_id,
    ...policyArguments(row),
    position: row.position,
    rules: idRefs(rules.get(row.id)),
  }));
}

/** Each listener's L7 policy ids in evaluation (position) order. */
export async function l7PolicyIdsByListener(db: Db, listenerIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (listenerIds.length === 0) return out;
  const rows = await db
    .selectFrom('l7policy')
    .select(['id', 'listener_id'])
    .where('listener_id', 'in', listenerIds)
    .orderBy('position')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  for (const row of rows) out.set(row.listener_id, [...(out.get(row.listener_id) ?? []), row.id]);
  return out;
}

/** For each pool, the listeners whose L7 policies redirect to it. */
export async function redirectingListenersByPool(db: Db, poolIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (poolIds.length === 0) return out;
  const result = await sql<{ pool: string; listener: string }>`
    select distinct p.redirect_pool_id as pool, p.listener_id as listener, l.created_at
    from l7policy p join listener l on l.id = p.listener_id
    where p.redirect_pool_id = any(${poolIds}::uuid[]) order by l.created_at, p.listener_id`.execute(db);
  for (const row of result.rows) out.set(row.pool, [...(out.get(row.pool) ?? []), row.listener]);
  return out;
}
