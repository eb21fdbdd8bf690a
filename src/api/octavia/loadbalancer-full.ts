// The load balancer as a create answers it (docs/octavia-compatibility.md §5.1): `listeners` and `pools` are full
// objects, not id lists. A full listener carries its full L7 policies, each with its full rules;
// a full pool carries its full members and its monitor (or null). Full objects leave out
// `loadbalancers` (listener, pool), `healthmonitor_id` (pool) and `pools` (monitor).
import type { Db } from '../../db/database.ts';
import { serializeHealthMonitors, type HealthMonitorRow } from './healthmonitor.ts';
import { serializeL7Policies, type L7PolicyRow } from './l7policy.ts';
import { serializeL7Rules, type L7RuleRow } from './l7rule.ts';
import { serializeListeners, type ListenerRow } from './listener.ts';
import { loadBalancerFields, type LoadBalancerRow } from './loadbalancer.ts';
import { serializeMembers, type MemberRow } from './member.ts';
import { serializePools, type PoolRow } from './pool.ts';

/** The rows below one load balancer, each list in the order it is to be shown. */
export interface TreeRows {
  listeners: ListenerRow[];
  pools: PoolRow[];
  members: MemberRow[];
  monitors: HealthMonitorRow[];
  policies: L7PolicyRow[];
  rules: L7RuleRow[];
}

export function emptyTree(): TreeRows {
  return { listeners: [], pools: [], members: [], monitors: [], policies: [], rules: [] };
}

function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

/**
 * `db` may be the create's own transaction: the relations the serializers look up (a pool's
 * listeners, a listener's policies in position order) are then those of the rows it wrote.
 */
export async function serializeFullLoadBalancer(db: Db, lb: LoadBalancerRow, rows: TreeRows) {
  // One after the other: on a transaction they share one connection anyway.
  const rules = await serializeL7Rules(db, rows.rules);
  const policies = await serializeL7Policies(db, rows.policies);
  const listeners = await serializeListeners(db, rows.listeners);
  const members = await serializeMembers(db, rows.members);
  const monitors = await serializeHealthMonitors(db, rows.monitors);
  const pools = await serializePools(db, rows.pools);

  const rulesOf = groupBy(rules.map((rule, i) => ({ rule, policyId: rows.rules[i].l7policy_id })), (r) => r.policyId);
  const fullPolicies = new Map(policies.map((p) => [p.id, { ...p, rules: (rulesOf.get(p.id) ?? []).map((r) => r.rule) }]));
  const membersOf = groupBy(members.map((member, i) => ({ member, poolId: rows.members[i].pool_id })), (m) => m.poolId);
  const monitorOf = new Map(monitors.map(({ pools: [pool], ...monitor }) => [pool.id, monitor]));

  return {
    ...loadBalancerFields(lb),
    listeners: listeners.map(({ loadbalancers: _lbs, l7policies, ...listener }) => ({
      ...listener,
      // In position order, as the id list is.
      l7policies: l7policies.map(({ id }) => fullPolicies.get(id)!),
    })),
    pools: pools.map((pool) => {
      const { loadbalancers: _lbs, healthmonitor_id: _hm, members: _ids, ...rest } = pool as typeof pool & { healthmonitor_id?: string };
      return { ...rest, members: (membersOf.get(pool.id) ?? []).map((m) => m.member), healthmonitor: monitorOf.get(pool.id) ?? null };
    }),
  };
}
