// L7 rule ⇄ Octavia JSON (docs/octavia-compatibility.md §5.8): wrapper keys `rule`/`rules`, and no l7policy_id in
// the response (the path names the policy).
import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { L7RuleTable } from '../../db/schema.ts';
import { L7_COMPARE_TYPES, L7_RULE_TYPES } from '../../model/lb-graph.ts';
import type { L7RuleSettings } from '../../model/l7-rule.ts';
import { baseFields } from './common.ts';
import { AdminStateUp, Nullable, ProjectFields, Strict, StringEnum, Tags, Type, Wrapped } from './schema-types.ts';

export type L7RuleRow = Selectable<L7RuleTable>;

// One line each: no CR or LF (nor NUL, which PostgreSQL text cannot hold).
const Text = Type.String({ maxLength: 255, pattern: '^[^\\r\\n\\u0000]*$' });

export const L7RuleCreate = Wrapped(
  'rule',
  Strict({
    ...ProjectFields,
    type: StringEnum(L7_RULE_TYPES),
    compare_type: StringEnum(L7_COMPARE_TYPES),
    key: Type.Optional(Nullable(Text)),
    value: Text,
    invert: Type.Optional(Nullable(Type.Boolean())),
    admin_state_up: Type.Optional(AdminStateUp),
    tags: Type.Optional(Tags),
  }),
);

export const L7RuleUpdate = Wrapped(
  'rule',
  Strict({
    type: Type.Optional(StringEnum(L7_RULE_TYPES)),
    compare_type: Type.Optional(StringEnum(L7_COMPARE_TYPES)),
    key: Type.Optional(Nullable(Text)),
    value: Type.Optional(Text),
    invert: Type.Optional(Nullable(Type.Boolean())),
    admin_state_up: Type.Optional(AdminStateUp),
    tags: Type.Optional(Tags),
  }),
);

export function ruleSettings(row: L7RuleRow): L7RuleSettings {
  return { type: row.type, compare_type: row.compare_type, key: row.key, value: row.value, invert: row.invert };
}

export async function serializeL7Rules(_db: Db, rows: L7RuleRow[]) {
  return rows.map((row) => ({ ...baseFields(row), ...ruleSettings(row) }));
}
