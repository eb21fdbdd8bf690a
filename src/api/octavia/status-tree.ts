// GET /loadbalancers/{id}/status (docs/octavia-compatibility.md §4.5): listeners → the pools they use (default and
// L7 redirect pools) → monitor and members. L7 objects are not part of it; pools no listener
// uses are left out.
import type { Db } from '../../db/database.ts';
import type { LoadBalancerRow } from './loadbalancer.ts';
import { text } from './common.ts';
import { redirectingListenersByPool } from './l7policy.ts';

interface Named {
  id: string;
  name: string | null;
  operating_status: string;
  provisioning_status: string;
}

function node(row: Named) {
  return { id: row.id, name: text(row.name), operating_status: row.operating_status, provisioning_status: row.provisioning_status };
}

export async function statusTree(db: Db, lb: LoadBalancerRow) {
  const [listeners, pools, members, monitors] = await Promise.all([
    db.selectFrom('listener').selectAll().where('load_balancer_id', '=', lb.id).orderBy('created_at').orderBy('id').execute(),
    db.selectFrom('pool').selectAll().where('load_balancer_id', '=', lb.id).orderBy('created_at').orderBy('id').execute(),
    db
      .selectFrom('member')
      .innerJoin('pool', 'pool.id', 'member.pool_id')
      .selectAll('member')
      .where('pool.load_balancer_id', '=', lb.id)
      .orderBy('member.created_at')
      .orderBy('member.id')
      .execute(),
    db
      .selectFrom('health_monitor')
      .innerJoin('pool', 'pool.id', 'health_monitor.pool_id')
      .selectAll('health_monitor')
      .where('pool.load_balancer_id', '=', lb.id)
      .execute(),
  ]);
  // A listener's pools are its default pool and those its L7 policies redirect to (docs/octavia-compatibility.md §4.5).
  const redirecting = await redirectingListenersByPool(db, pools.map((p) => p.id));
  const poolNode = (pool: (typeof pools)[number]) => {
    const hm = monitors.find((m) => m.pool_id === pool.id);
    return {
      ...node(pool),
      ...(hm ? { health_monitor: { ...node(hm), type: hm.type } } : {}),
      members: members
        .filter((m) => m.pool_id === pool.id)
        .map((m) => ({ ...node(m), address: m.address, protocol_port: m.protocol_port })),
    };
  };
  return {
    ...node(lb),
    listeners: listeners.map((l) => ({
      ...node(l),
      pools: pools.filter((p) => p.id === l.default_pool_id || redirecting.get(p.id)?.includes(l.id)).map(poolNode),
    })),
  };
}
