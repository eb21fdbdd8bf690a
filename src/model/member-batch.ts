// The member batch update (docs/octavia-compatibility.md §5.5) as a diff between the pool's members and the
// desired set the request lists, matched on (address, protocol_port). Pure.
import { InvalidInput } from '../errors.ts';
import { memberChanges, type MemberInput, type MemberSettings } from './member.ts';

export interface MemberKey {
  address: string;
  protocol_port: number;
}

export interface ExistingMember extends MemberKey, MemberSettings {
  id: string;
}

export type DesiredMember = MemberKey & MemberInput & { request_sriov?: boolean | null };

export interface MemberBatchPlan<D extends DesiredMember> {
  create: D[];
  /** Only members whose settings actually change; the others stay untouched (and unlocked). */
  update: { id: string; changes: Partial<MemberSettings> }[];
  delete: string[];
}

function keyOf(m: MemberKey): string {
  return `${m.address} ${m.protocol_port}`;
}

export function assertUniqueMembers(desired: readonly MemberKey[]): void {
  const seen = new Set<string>();
  for (const m of desired) {
    const key = keyOf(m);
    if (seen.has(key)) throw new InvalidInput('Member must be updated only once in the same request.');
    seen.add(key);
  }
}

// A listed member is described anew, so these fields fall back to their POST defaults when
// left out (as in Octavia); the other fields are kept when left out.
const RESTATED: MemberInput = { admin_state_up: true, weight: 1, backup: false };

function differences(current: MemberSettings, wanted: Partial<MemberSettings>): Partial<MemberSettings> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(wanted)) {
    if (JSON.stringify(value) !== JSON.stringify(current[field as keyof MemberSettings])) out[field] = value;
  }
  return out as Partial<MemberSettings>;
}

/**
 * What to create, update and delete so the pool holds `desired`. Unlisted members are deleted
 * unless `additiveOnly`. The desired keys must be unique (see assertUniqueMembers).
 */
export function planMemberBatch<D extends DesiredMember>(
  existing: readonly ExistingMember[],
  desired: readonly D[],
  additiveOnly: boolean,
): MemberBatchPlan<D> {
  const byKey = new Map(existing.map((m) => [keyOf(m), m]));
  const plan: MemberBatchPlan<D> = { create: [], update: [], delete: [] };
  for (const wanted of desired) {
    const current = byKey.get(keyOf(wanted));
    if (!current) {
      plan.create.push(wanted);
      continue;
    }
    const changes = differences(current, memberChanges({ ...RESTATED, ...wanted }));
    if (Object.keys(changes).length > 0) plan.update.push({ id: current.id, changes });
  }
  if (!additiveOnly) {
    const listed = new Set(desired.map(keyOf));
    plan.delete = existing.filter((m) => !listed.has(keyOf(m))).map((m) => m.id);
  }
  return plan;
}

export function isEmptyPlan(plan: MemberBatchPlan<DesiredMember>): boolean {
  return plan.create.length === 0 && plan.update.length === 0 && plan.delete.length === 0;
}
