// Quota ⇄ Octavia JSON (docs/octavia-compatibility.md §5.9): canonical names plus the deprecated `load_balancer` /
// `health_monitor` aliases, both on PUT and in responses.
import type { Selectable } from 'kysely';
import type { QuotaTable } from '../../db/schema.ts';
import { QUOTA_MAX, QUOTA_MIN, QUOTA_RESOURCES, withAliases, type QuotaLimits, type StoredQuota } from '../../model/quota.ts';
import { Nullable, Strict, Type, Wrapped, type TSchema } from './schema-types.ts';

export type QuotaRow = Selectable<QuotaTable>;

const Limit = Nullable(Type.Integer({ minimum: QUOTA_MIN, maximum: QUOTA_MAX }));

export const QuotaUpdate = Wrapped(
  'quota',
  Strict(
    Object.fromEntries([...QUOTA_RESOURCES, 'load_balancer', 'health_monitor'].map((k) => [k, Type.Optional(Limit)])) as Record<
      string,
      TSchema
    >,
  ),
);

export function storedQuota(row: QuotaRow): StoredQuota {
  return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, row[r]])) as StoredQuota;
}

/** A project's quota as the API shows it: effective values on show, stored (null = default) in lists. */
export function quotaFields(projectId: string, quota: QuotaLimits | StoredQuota) {
  return { ...withAliases(quota), project_id: projectId, tenant_id: projectId };
}
