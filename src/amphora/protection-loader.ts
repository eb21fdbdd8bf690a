// The protection layers of a load balancer's listeners that live in the database: the flavor's
// `protection` metadata and what was set on each listener (src/model/protection.ts).
import type { Db } from '../db/database.ts';
import { protectionProblem, type ProtectionOverrides } from '../model/protection.ts';

function asOverrides(value: unknown): ProtectionOverrides {
  // Both layers were checked when written; a value that no longer passes is not rendered.
  return value !== undefined && protectionProblem(value) === null ? (value as ProtectionOverrides) : {};
}

/** The flavor's `protection` metadata, or {} (no flavor, or none set). */
export async function flavorProtection(db: Db, flavorId: string | null): Promise<ProtectionOverrides> {
  if (!flavorId) return {};
  const row = await db
    .selectFrom('flavor')
    .innerJoin('flavor_profile', 'flavor_profile.id', 'flavor.flavor_profile_id')
    .select('flavor_profile.flavor_data')
    .where('flavor.id', '=', flavorId)
    .executeTakeFirst();
  if (!row) return {};
  try {
    return asOverrides((JSON.parse(row.flavor_data) as Record<string, unknown>).protection);
  } catch {
    return {};
  }
}

/** What was set on the listener itself, or {}. */
export async function ownProtection(db: Db, listenerId: string): Promise<ProtectionOverrides> {
  const row = await db.selectFrom('listener_protection').select('settings').where('listener_id', '=', listenerId).executeTakeFirst();
  return asOverrides(row?.settings);
}

/** Per listener: the flavor's layer with the listener's own over it. */
export async function listenerProtection(db: Db, flavorId: string | null, listenerIds: string[]): Promise<Map<string, ProtectionOverrides>> {
  const out = new Map<string, ProtectionOverrides>();
  if (listenerIds.length === 0) return out;
  const flavor = await flavorProtection(db, flavorId);
  const rows = await db.selectFrom('listener_protection').select(['listener_id', 'settings']).where('listener_id', 'in', listenerIds).execute();
  const own = new Map(rows.map((r) => [r.listener_id, asOverrides(r.settings)]));
  for (const id of listenerIds) out.set(id, { ...flavor, ...own.get(id) });
  return out;
}
