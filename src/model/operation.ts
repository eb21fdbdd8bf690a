// A provider operation: what one API write asks a provider driver to do, as stored in the
// job payload. It names the objects the API transaction set PENDING_*, so completion (success
// or failure) knows exactly which statuses to settle (reference §4.2, §4.3).

export const OBJECT_TYPES = ['loadbalancer', 'listener', 'pool', 'member', 'healthmonitor'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];
export type Action = 'create' | 'update' | 'delete';

export interface ObjectRef {
  type: ObjectType;
  id: string;
}

export interface ProviderOperation {
  action: Action;
  /** The object the caller addressed (for a member batch, the pool). */
  target: ObjectRef;
  loadBalancerId: string;
  provider: string;
  /** Objects this operation creates, updates or deletes, each now PENDING_<action>. */
  created: ObjectRef[];
  updated: ObjectRef[];
  deleted: ObjectRef[];
  /** Objects set PENDING_UPDATE only to lock them (LB, listeners, pool, …); back to ACTIVE at the end. */
  locked: ObjectRef[];
  /** LB delete with cascade: children go with it. */
  cascade?: boolean;
  /** For updates: the fields the caller changed, by canonical name. */
  changes?: Record<string, unknown>;
}

export function ref(type: ObjectType, id: string): ObjectRef {
  return { type, id };
}
