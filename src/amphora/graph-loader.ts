// Loads the load-balancer graph a data plane must serve now: every object of the LB except the
// ones on their way out (PENDING_DELETE, or named as deleted by the running operation),
// including each listener's L7 policies and their rules.
import type { Db } from '../db/database.ts';
import type { L7Policy, L7Rule, LbGraph, PoolNode } from '../model/lb-graph.ts';
import { listenerProtection } from './protection-loader.ts';

export async function loadLbGraph(db: Db, loadBalancerId: string, excluded: ReadonlySet<string> = new Set()): Promise<LbGraph> {
  const keep = <T extends { id: string; provisioning_status: string }>(rows: T[]) =>
    rows.filter((r) => r.provisioning_status !== 'PENDING_DELETE' && r.provisioning_status !== 'DELETED' && !excluded.has(r.id));
  const loadBalancer = await db.selectFrom('load_balancer').selectAll().where('id', '=', loadBalancerId).executeTakeFirstOrThrow();
  const listeners = keep(
    await db.selectFrom('listener').selectAll().where('load_balancer_id', '=', loadBalancerId).orderBy('protocol_port').orderBy('id').execute(),
  );
  const pools = keep(await db.selectFrom('pool').selectAll().where('load_balancer_id', '=', loadBalancerId).orderBy('created_at').orderBy('id').execute());
  const poolIds = pools.map((p) => p.id);
  const members = poolIds.length
    ? keep(await db.selectFrom('member').selectAll().where('pool_id', 'in', poolIds).orderBy('created_at').orderBy('id').execute())
    : [];
  const monitors = poolIds.length ? keep(await db.selectFrom('health_monitor').selectAll().where('pool_id', 'in', poolIds).execute()) : [];
  const poolNodes: PoolNode[] = pools.map((p) => ({
    ...p,
    members: members.filter((m) => m.pool_id === p.id),
    healthMonitor: monitors.find((m) => m.pool_id === p.id) ?? null,
  }));
  const livePools = new Set(poolIds);
  const policies = await loadL7Policies(db, listeners.map((l) => l.id), keep);
  const protection = await listenerProtection(db, loadBalancer.flavor_id, listeners.map((l) => l.id));
  return {
    loadBalancer,
    listeners: listeners.map((l) => ({
      ...l,
      default_pool_id: l.default_pool_id && livePools.has(l.default_pool_id) ? l.default_pool_id : null,
      // A policy redirecting to a pool that is not served cannot route anywhere.
      l7policies: (policies.get(l.id) ?? []).filter((p) => p.redirect_pool_id === null || livePools.has(p.redirect_pool_id)),
      protection: protection.get(l.id) ?? {},
    })),
    pools: poolNodes,
  };
}

type Keep = <T extends { id: string; provisioning_status: string }>(rows: T[]) => T[];

/** Each listener's L7 policies in position order, with their rules. */
async function loadL7Policies(db: Db, listenerIds: string[], keep: Keep): Promise<Map<string, L7Policy[]>> {
  const out = new Map<string, L7Policy[]>();
  if (listenerIds.length === 0) return out;
  const policies = keep(
    await db.selectFrom('l7policy').selectAll().where('listener_id', 'in', listenerIds).orderBy('position').orderBy('created_at').orderBy('id').execute(),
  );
  const rules = policies.length
    ? keep(await db.selectFrom('l7rule').selectAll().where('l7policy_id', 'in', policies.map((p) => p.id)).orderBy('created_at').orderBy('id').execute())
    : [];
  for (const p of policies) {
    const policy: L7Policy = {
      id: p.id,
      name: p.name,
      action: p.action as L7Policy['action'],
      redirect_pool_id: p.redirect_pool_id,
      redirect_url: p.redirect_url,
      redirect_prefix: p.redirect_prefix,
      redirect_http_code: p.redirect_http_code,
      position: p.position,
      admin_state_up: p.admin_state_up,
      rules: rules
        .filter((r) => r.l7policy_id === p.id)
        .map((r) => ({
          id: r.id,
          type: r.type as L7Rule['type'],
          compare_type: r.compare_type as L7Rule['compare_type'],
          key: r.key,
          value: r.value,
          invert: r.invert,
          admin_state_up: r.admin_state_up,
        })),
    };
    out.set(p.listener_id, [...(out.get(p.listener_id) ?? []), policy]);
  }
  return out;
}
