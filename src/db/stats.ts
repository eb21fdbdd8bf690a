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

async function sum(db: Db, column: 'listener_id' | 'load_balancer_id', id: string): Promise<Stats> {
  const result = await sql<Record<keyof Stats, string | null>>`
    select sum(bytes_in) as bytes_in, sum(bytes_out) as bytes_out, sum(active_connections) as active_connections,
           sum(total_connections) as total_connections, sum(request_errors) as request_errors
    from listener_statistics where ${sql.ref(column)} = ${id}`.execute(db);
  const row = result.rows[0];
  return {
    bytes_in: Number(row?.bytes_in ?? 0),
    bytes_out: Number(row?.bytes_out ?? 0),
    active_connections: Number(row?.active_connections ?? 0),
    total_connections: Number(row?.total_connections ?? 0),
    request_errors: Number(row?.request_errors ?? 0),
  };
}

export function listenerStats(db: Db, listenerId: string): Promise<Stats> {
  return sum(db, 'listener_id', listenerId);
}

export function loadBalancerStats(db: Db, loadBalancerId: string): Promise<Stats> {
  return sum(db, 'load_balancer_id', loadBalancerId);
}
