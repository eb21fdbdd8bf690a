// Listener and load-balancer statistics: sums of the per-amphora counters.
import { sql } from 'kysely';
import type { Db } from './database.ts';

export interface Stats {
  bytes_in: number;
  bytes_out: number;
  active_connections: number;
  total_connections: number;
  request_errors: number;
}

/** A listener's, with what its protection and allowed_cidrs refused (migration 0020). */
export interface ListenerStats extends Stats {
  refused_connections: number;
  refused_requests: number;
}

async function sum(db: Db, column: 'listener_id' | 'load_balancer_id', id: string): Promise<ListenerStats> {
  const result = await sql<Record<keyof ListenerStats, string | null>>`
    select sum(bytes_in) as bytes_in, sum(bytes_out) as bytes_out, sum(active_connections) as active_connections,
           sum(total_connections) as total_connections, sum(request_errors) as request_errors,
           sum(refused_connections) as refused_connections, sum(refused_requests) as refused_requests
    from listener_statistics where ${sql.ref(column)} = ${id}`.execute(db);
  const row = result.rows[0];
  return {
    bytes_in: Number(row?.bytes_in ?? 0),
    bytes_out: Number(row?.bytes_out ?? 0),
    active_connections: Number(row?.active_connections ?? 0),
    total_connections: Number(row?.total_connections ?? 0),
    request_errors: Number(row?.request_errors ?? 0),
    refused_connections: Number(row?.refused_connections ?? 0),
    refused_requests: Number(row?.refused_requests ?? 0),
  };
}

/** Octavia's five counters, then Fulcrum's refusal counts (clients read the keys they know). */
export function listenerStats(db: Db, listenerId: string): Promise<ListenerStats> {
  return sum(db, 'listener_id', listenerId);
}

export async function loadBalancerStats(db: Db, loadBalancerId: string): Promise<Stats> {
  const { refused_connections: _c, refused_requests: _r, ...stats } = await sum(db, 'load_balancer_id', loadBalancerId);
  return stats;
}

/** The listeners of `amphoraId` that already have a statistics row. */
export async function listenersWithStats(db: Db, amphoraId: string): Promise<Set<string>> {
  const rows = await db.selectFrom('listener_statistics').select('listener_id').where('amphora_id', '=', amphoraId).execute();
  return new Set(rows.map((r) => r.listener_id));
}

/** Adds an increment to one amphora's totals for a listener; active connections are replaced. */
export async function addListenerStats(
  db: Db,
  row: { listenerId: string; amphoraId: string; loadBalancerId: string },
  increment: Stats,
): Promise<void> {
  await db
    .insertInto('listener_statistics')
    .values({ listener_id: row.listenerId, amphora_id: row.amphoraId, load_balancer_id: row.loadBalancerId, ...increment, updated_at: sql`now()` })
    .onConflict((oc) =>
      oc.columns(['listener_id', 'amphora_id']).doUpdateSet((eb) => ({
        bytes_in: sql`${eb.ref('listener_statistics.bytes_in')} + ${increment.bytes_in}`,
        bytes_out: sql`${eb.ref('listener_statistics.bytes_out')} + ${increment.bytes_out}`,
        total_connections: sql`${eb.ref('listener_statistics.total_connections')} + ${increment.total_connections}`,
        request_errors: sql`${eb.ref('listener_statistics.request_errors')} + ${increment.request_errors}`,
        active_connections: increment.active_connections,
        updated_at: sql`now()`,
      })),
    )
    .execute();
}
