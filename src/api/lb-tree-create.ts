// The writes of a fully-populated load balancer create (docs/octavia-compatibility.md §5.2). Inside the LB create's
// transaction, after the LB row: the quota for the whole tree, then every planned object
// checked and inserted exactly as its own POST would do it (PENDING_CREATE, OFFLINE), pools
// first so listeners and L7 policies can point at them. Any failure rolls the whole create
// back; on success the LB's one provider operation lists every object as created.
import { randomUUID } from 'node:crypto';
import type { ApiDeps } from './deps.ts';
import type { Trx } from './write-path.ts';
import { checkQuota } from './quota-check.ts';
import { adminStateUp } from './octavia/common.ts';
import type { LoadBalancerRow } from './octavia/loadbalancer.ts';
import type { L7PolicySpecBody, ListenerSpecBody, PoolSpecBody } from './octavia/loadbalancer-tree.ts';
import type { TreeRows } from './octavia/loadbalancer-full.ts';
import { emptyTree } from './octavia/loadbalancer-full.ts';
import { checkNewListener, newListenerRow } from './writes/listener-rows.ts';
import { checkNewPool, newPoolRow } from './writes/pool-rows.ts';
import { insertNewMember } from './writes/member-rows.ts';
import { newHealthMonitorRow } from './writes/health-monitor-rows.ts';
import { describedColumns } from './writes/l7-policy-rows.ts';
import { holdCertificates } from '../certs/ref-check.ts';
import { newMonitorSettings } from '../model/health-monitor.ts';
import { checkNewMember } from '../model/member.ts';
import { normaliseL7Policy } from '../model/l7-policy.ts';
import { validateL7Rule } from '../model/l7-rule.ts';
import { planLbTree, type LbTreePlan, type PlannedListener, type PlannedPool } from '../model/lb-tree.ts';
import { ref, type ObjectRef } from '../model/operation.ts';

export type TreePlan = LbTreePlan<PoolSpecBody, L7PolicySpecBody, ListenerSpecBody>;
type Lb = Pick<LoadBalancerRow, 'id' | 'project_id' | 'provider' | 'vip_address'>;

/** Checks the tree's structure (names, references, protocols) before anything is written. */
export function planTree(body: { listeners?: ListenerSpecBody[]; pools?: PoolSpecBody[] }): TreePlan {
  return planLbTree(body, randomUUID);
}

async function createPool(trx: Trx, deps: ApiDeps, lb: Lb, planned: PlannedPool<PoolSpecBody>, rows: TreeRows): Promise<void> {
  const { spec } = planned;
  const { sessionPersistence, certIds } = await checkNewPool(deps, trx, lb, spec);
  await holdCertificates(trx, certIds);
  const pool = await trx.insertInto('pool').values(newPoolRow(planned.id, lb, spec, sessionPersistence)).returningAll().executeTakeFirstOrThrow();
  rows.pools.push(pool);
  // The monitor before the members: it decides whether they start OFFLINE or NO_MONITOR.
  if (spec.healthmonitor) {
    const settings = newMonitorSettings(spec.healthmonitor, pool.protocol);
    deps.providers.get(lb.provider)?.checkSupport({ healthMonitorType: settings.type, poolProtocol: pool.protocol });
    const row = newHealthMonitorRow(randomUUID(), pool, spec.healthmonitor, settings);
    rows.monitors.push(await trx.insertInto('health_monitor').values(row).returningAll().executeTakeFirstOrThrow());
  }
  for (const member of spec.members ?? []) {
    checkNewMember(member);
    rows.members.push(await insertNewMember(trx, deps, pool, member));
  }
}

async function createListener(trx: Trx, deps: ApiDeps, lb: Lb, planned: PlannedListener<ListenerSpecBody, L7PolicySpecBody>, rows: TreeRows): Promise<void> {
  const { default_pool: _pool, l7policies: _policies, ...fields } = planned.spec;
  const body = { ...fields, default_pool_id: planned.defaultPoolId };
  await holdCertificates(trx, await checkNewListener(deps, trx, lb, body));
  const listener = await trx.insertInto('listener').values(newListenerRow(planned.id, lb, body)).returningAll().executeTakeFirstOrThrow();
  rows.listeners.push(listener);
  for (const policy of planned.policies) {
    deps.providers.get(lb.provider)?.checkSupport({ l7ListenerProtocol: listener.protocol });
    const { redirect_pool: _redirect, rules: _rules, ...policyFields } = policy.spec;
    const args = normaliseL7Policy({ ...policyFields, ...(policy.redirectPoolId ? { redirect_pool_id: policy.redirectPoolId } : {}) });
    const policyRow = await trx
      .insertInto('l7policy')
      .values({
        id: policy.id,
        project_id: lb.project_id,
        listener_id: listener.id,
        name: '',
        description: '',
        admin_state_up: adminStateUp(policyFields.admin_state_up),
        provisioning_status: 'PENDING_CREATE',
        operating_status: 'OFFLINE',
        ...describedColumns(policyFields),
        ...args,
        position: policy.position,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    rows.policies.push(policyRow);
    for (const rule of policy.rules) {
      const { spec } = rule;
      const settings = { type: spec.type, compare_type: spec.compare_type, key: spec.key ?? null, value: spec.value, invert: spec.invert === true };
      validateL7Rule(settings);
      const ruleRow = await trx
        .insertInto('l7rule')
        .values({
          id: rule.id,
          project_id: lb.project_id,
          l7policy_id: policyRow.id,
          admin_state_up: adminStateUp(spec.admin_state_up),
          provisioning_status: 'PENDING_CREATE',
          operating_status: 'OFFLINE',
          tags: JSON.stringify(spec.tags ?? []),
          ...settings,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      rows.rules.push(ruleRow);
    }
  }
}

/**
 * Writes the planned tree below `lb` (already inserted in `trx`). Returns the rows, for the
 * response, and the objects the LB's create operation must settle.
 */
export async function createLoadBalancerTree(trx: Trx, deps: ApiDeps, lb: Lb, plan: TreePlan): Promise<{ rows: TreeRows; created: ObjectRef[] }> {
  await checkQuota(trx, deps.config, lb.project_id, plan.counts);
  const rows = emptyTree();
  for (const pool of plan.pools) await createPool(trx, deps, lb, pool, rows);
  for (const listener of plan.listeners) await createListener(trx, deps, lb, listener, rows);
  const created = [
    ...rows.pools.map((r) => ref('pool', r.id)),
    ...rows.monitors.map((r) => ref('healthmonitor', r.id)),
    ...rows.members.map((r) => ref('member', r.id)),
    ...rows.listeners.map((r) => ref('listener', r.id)),
    ...rows.policies.map((r) => ref('l7policy', r.id)),
    ...rows.rules.map((r) => ref('l7rule', r.id)),
  ];
  return { rows, created };
}
