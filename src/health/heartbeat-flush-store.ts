// What a flush of received heartbeats writes: liveness, listener counters, and the reads and
// pruning around them. Batches go in as one JSON parameter (jsonb_to_recordset), so a flush
// costs a fixed number of statements however many amphorae reported. Time is the database's
// clock, shared by every health manager process.
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { CUMULATIVE, epochIncrement, type CumulativeCounters } from './listener-counters.ts';

export interface Liveness {
  amphora_id: string;
  seq: number;
  running: boolean;
  /** The agent's reason it cannot heal HAProxy; null when it runs or may heal. */
  fault: string | null;
  /** Daemon restarts the agent reported for this amphora, since it started. */
  heals: number;
}

/**
 * Marks the amphorae seen now. `broken_since` starts when an amphora serving an ACTIVE load
 * balancer reports HAProxy not running (or a fault its agent cannot heal, such as its namespace
 * gone while an unreachable HAProxy still runs) and ends when that is over. While a flow works on the
 * load balancer (booting, configuring, reloading) HAProxy may rightly not run, and a heartbeat
 * taken then can arrive just after the flow ends: it starts the clock at most, the next one
 * stops it, well within the timeout.
 */
export async function recordLiveness(db: Db, rows: Liveness[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    insert into amphora_health (amphora_id, last_seen, last_seq, haproxy_running, broken_since, fault, self_heals, updated_at)
    select b.amphora_id, now(), b.seq, b.running,
      case when (b.running and b.fault is null) or a.status <> 'ALLOCATED' or lb.provisioning_status <> 'ACTIVE' then null else now() end,
      b.fault, b.heals, now()
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as b(amphora_id uuid, seq bigint, running boolean, fault text, heals bigint)
    join amphora a on a.id = b.amphora_id and a.status <> 'DELETED'
    left join load_balancer lb on lb.id = a.load_balancer_id
    order by b.amphora_id
    on conflict (amphora_id) do update set
      last_seen = now(),
      last_seq = greatest(amphora_health.last_seq, excluded.last_seq),
      haproxy_running = excluded.haproxy_running,
      broken_since = case when excluded.broken_since is null then null else coalesce(amphora_health.broken_since, excluded.broken_since) end,
      fault = excluded.fault,
      -- The count starts again with the agent; the highest seen is kept.
      self_heals = greatest(amphora_health.self_heals, excluded.self_heals),
      updated_at = now()`.execute(db);
}

export interface ServingAmphora {
  amphora_id: string;
  load_balancer_id: string;
  lb_updated_at: Date | null;
}

/** Of `ids`, the amphorae whose load balancer's statuses heartbeats may set now. */
export async function servingAmphorae(db: Db, ids: string[]): Promise<ServingAmphora[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('amphora')
    .innerJoin('load_balancer', 'load_balancer.id', 'amphora.load_balancer_id')
    .select(['amphora.id as amphora_id', 'amphora.load_balancer_id', 'load_balancer.updated_at as lb_updated_at'])
    .where('amphora.id', 'in', ids)
    .where('amphora.status', '=', 'ALLOCATED')
    .where('load_balancer.provisioning_status', 'in', ['ACTIVE', 'PENDING_UPDATE'])
    .execute();
  return rows.map((r) => ({ amphora_id: r.amphora_id, load_balancer_id: r.load_balancer_id!, lb_updated_at: r.lb_updated_at ?? null }));
}

export interface ReportedCounters extends CumulativeCounters {
  listener_id: string;
  amphora_id: string;
  load_balancer_id: string;
  epoch: string;
  active_connections: number;
}

/**
 * Adds what the reported counters rose by within their epoch to the listener totals. The
 * epoch rows are locked (in key order, so two managers never deadlock) before they are read,
 * so a heartbeat two managers receive is counted once.
 */
export async function addCounters(db: Db, reported: ReportedCounters[]): Promise<void> {
  if (reported.length === 0) return;
  const rows = [...reported].sort((a, b) => `${a.listener_id}/${a.amphora_id}/${a.epoch}`.localeCompare(`${b.listener_id}/${b.amphora_id}/${b.epoch}`));
  const keys = JSON.stringify(rows.map((r) => ({ listener_id: r.listener_id, amphora_id: r.amphora_id, epoch: r.epoch })));
  await db.transaction().execute(async (trx) => {
    await sql`
      insert into listener_counter_epoch (listener_id, amphora_id, epoch)
      select k.listener_id, k.amphora_id, k.epoch from jsonb_to_recordset(${keys}::jsonb) as k(listener_id uuid, amphora_id uuid, epoch text)
      order by 1, 2, 3
      on conflict do nothing`.execute(trx);
    const stored = await sql<{ listener_id: string; amphora_id: string; epoch: string } & Record<keyof CumulativeCounters, string>>`
      select e.listener_id, e.amphora_id, e.epoch, e.bytes_in, e.bytes_out, e.total_connections, e.request_errors, e.refused_connections, e.refused_requests
      from listener_counter_epoch e join jsonb_to_recordset(${keys}::jsonb) as k(listener_id uuid, amphora_id uuid, epoch text)
        on e.listener_id = k.listener_id and e.amphora_id = k.amphora_id and e.epoch = k.epoch
      order by e.listener_id, e.amphora_id, e.epoch
      for update of e`.execute(trx);
    const byKey = new Map(stored.rows.map((s) => [`${s.listener_id}/${s.amphora_id}/${s.epoch}`, s]));
    const epochs: unknown[] = [];
    const totals: unknown[] = [];
    for (const r of rows) {
      const s = byKey.get(`${r.listener_id}/${r.amphora_id}/${r.epoch}`);
      const before = Object.fromEntries(CUMULATIVE.map((k) => [k, Number(s?.[k] ?? 0)])) as CumulativeCounters;
      const { increment, stored: next } = epochIncrement(r, before);
      epochs.push({ listener_id: r.listener_id, amphora_id: r.amphora_id, epoch: r.epoch, ...next });
      totals.push({ listener_id: r.listener_id, amphora_id: r.amphora_id, load_balancer_id: r.load_balancer_id, active_connections: r.active_connections, ...increment });
    }
    await sql`
      update listener_counter_epoch e set bytes_in = n.bytes_in, bytes_out = n.bytes_out, total_connections = n.total_connections,
        request_errors = n.request_errors, refused_connections = n.refused_connections, refused_requests = n.refused_requests, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(epochs)}::jsonb)
        as n(listener_id uuid, amphora_id uuid, epoch text, bytes_in bigint, bytes_out bigint, total_connections bigint, request_errors bigint,
          refused_connections bigint, refused_requests bigint)
      where e.listener_id = n.listener_id and e.amphora_id = n.amphora_id and e.epoch = n.epoch`.execute(trx);
    await sql`
      insert into listener_statistics (listener_id, amphora_id, load_balancer_id, bytes_in, bytes_out, active_connections, total_connections, request_errors,
        refused_connections, refused_requests, updated_at)
      select t.listener_id, t.amphora_id, t.load_balancer_id, t.bytes_in, t.bytes_out, t.active_connections, t.total_connections, t.request_errors,
        t.refused_connections, t.refused_requests, now()
      from jsonb_to_recordset(${JSON.stringify(totals)}::jsonb) as t(listener_id uuid, amphora_id uuid, load_balancer_id uuid,
        bytes_in bigint, bytes_out bigint, active_connections bigint, total_connections bigint, request_errors bigint, refused_connections bigint, refused_requests bigint)
      order by 1, 2
      on conflict (listener_id, amphora_id) do update set
        bytes_in = listener_statistics.bytes_in + excluded.bytes_in,
        bytes_out = listener_statistics.bytes_out + excluded.bytes_out,
        total_connections = listener_statistics.total_connections + excluded.total_connections,
        request_errors = listener_statistics.request_errors + excluded.request_errors,
        refused_connections = listener_statistics.refused_connections + excluded.refused_connections,
        refused_requests = listener_statistics.refused_requests + excluded.refused_requests,
        active_connections = excluded.active_connections,
        updated_at = now()`.execute(trx);
  });
}

/**
 * Forgets what no longer matters: health rows of deleted amphorae, and epochs not reported for
 * ten minutes (kept that long because another manager may still hold an older heartbeat).
 */
export async function pruneHealth(db: Db): Promise<void> {
  await sql`delete from amphora_health h where not exists (select 1 from amphora a where a.id = h.amphora_id and a.status <> 'DELETED')`.execute(db);
  await sql`delete from listener_counter_epoch where updated_at < now() - interval '10 minutes'`.execute(db);
}

/** Over every amphora heard from: how many, how many their agent cannot heal, and the restarts it did. */
export async function amphoraHealthSummary(db: Db): Promise<{ reporting: number; unhealable: number; self_heals: number }> {
  const row = await sql<{ reporting: string; unhealable: string; self_heals: string | null }>`
    select count(*) as reporting, count(*) filter (where fault is not null) as unhealable, sum(self_heals) as self_heals
    from amphora_health h where exists (select 1 from amphora a where a.id = h.amphora_id and a.status <> 'DELETED')`.execute(db);
  const r = row.rows[0];
  return { reporting: Number(r?.reporting ?? 0), unhealable: Number(r?.unhealable ?? 0), self_heals: Number(r?.self_heals ?? 0) };
}
