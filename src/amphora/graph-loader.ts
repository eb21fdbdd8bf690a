// Loads the load-balancer graph a data plane must serve now: every object of the LB except the
// ones on their way out (PENDING_DELETE, or named as deleted by the running operation).
import type { Db } from '../db/database.ts';
import type { LbGraph, PoolNode } from '../model/lb-graph.ts';

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
  return {
    loadBalancer,
    listeners: listeners.map((l) => ({ ...l, default_pool_id: l.default_pool_id && livePools.has(l.default_pool_id) ? l.default_pool_id : null, l7policies: [] })),
    pools: poolNodes,
  };
}
