// A provider operation: what one API write asks a provider driver to do, as stored in the
// job payload. It names the objects the API transaction set PENDING_*, so completion (success
// or failure) knows exactly which statuses to settle (docs/octavia-compatibility.md §4.2, §4.3).

export const OBJECT_TYPES = ['loadbalancer', 'listener', 'pool', 'member', 'healthmonitor', 'l7policy', 'l7rule'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];
/** `failover`: replace the load balancer's amphorae (docs/octavia-compatibility.md §5.1, §5.13); only the LB is locked. */
export type Action = 'create' | 'update' | 'delete' | 'failover';

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
  /** For an amphora failover: the amphora to replace (an LB failover replaces them all). */
  amphoraId?: string;
  /** For a migrate: the inventory host the replacements go to (POST /v2/fulcrum/loadbalancers/{id}/migrate). */
  targetHostId?: string;
}

export function ref(type: ObjectType, id: string): ObjectRef {
  return { type, id };
}

/** Replacing a load balancer's amphorae, or only `amphoraId`: only the LB is locked. */
export function failoverOperation(lb: { id: string; provider: string }, amphoraId?: string, targetHostId?: string): ProviderOperation {
  return {
    action: 'failover',
    target: ref('loadbalancer', lb.id),
    loadBalancerId: lb.id,
    provider: lb.provider,
    created: [],
    updated: [],
    deleted: [],
    locked: [],
    ...(amphoraId ? { amphoraId } : {}),
    ...(targetHostId ? { targetHostId } : {}),
  };
}
