// Every SQL statement of the health manager. Batches go in as one JSON parameter
// (jsonb_to_recordset), so a flush costs a fixed number of statements however many amphorae
// reported. Time is the database's clock, shared by every health manager process.
import { agentUrlOf, allHosts } from '../inventory/host-store.ts';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { SecretStore } from '../certs/secret-store.ts';
import { enqueueJob } from '../flows/job-store.ts';
import { PROVIDER_OPERATION } from '../flows/provider-flow.ts';
import { failoverOperation } from '../model/operation.ts';
import { recordEvent } from '../observability/events.ts';
import { CUMULATIVE, epochIncrement, type CumulativeCounters } from './listener-counters.ts';
import type { DomainState } from './circuit-breaker.ts';

/** Failovers are claimed before every other job (creates have priority 0). */
export const FAILOVER_PRIORITY = 100;
const FAILOVER_KEY_PREFIX = 'failover:';

// ---- keys ---------------------------------------------------------------------------------

export interface AgentKey {
  keyId: string;
  agentUrl: string;
  key: Buffer;
}

const keyContext = (keyId: string) => `heartbeat_key:${keyId}`;

/** The agent's heartbeat key, issued on first use; two managers issuing at once agree on one. */
export async function ensureAgentKey(db: Db, store: SecretStore, agentUrl: string): Promise<AgentKey> {
  const existing = await db.selectFrom('heartbeat_key').selectAll().where('agent_url', '=', agentUrl).executeTakeFirst();
  if (!existing) {
    const keyId = randomBytes(12).toString('hex');
    const secret = store.seal(randomBytes(32).toString('base64'), keyContext(keyId));
    await db.insertInto('heartbeat_key').values({ key_id: keyId, agent_url: agentUrl, secret }).onConflict((oc) => oc.column('agent_url').doNothing()).execute();
  }
  const row = await db.selectFrom('heartbeat_key').selectAll().where('agent_url', '=', agentUrl).executeTakeFirstOrThrow();
  return { keyId: row.key_id, agentUrl: row.agent_url, key: Buffer.from(store.open(row.secret, keyContext(row.key_id)), 'base64') };
}

export async function loadAgentKeys(db: Db, store: SecretStore): Promise<Map<string, AgentKey>> {
  const rows = await db.selectFrom('heartbeat_key').selectAll().execute();
  return new Map(rows.map((r) => [r.key_id, { keyId: r.key_id, agentUrl: r.agent_url, key: Buffer.from(store.open(r.secret, keyContext(r.key_id)), 'base64') }]));
}

// ---- what the receiver checks against -----------------------------------------------------

export interface KnownAmphora {
  agentUrl: string | null;
  /** The highest sequence any health manager stored for it. */
  lastSeq: number;
}

export async function knownAmphorae(db: Db): Promise<Map<string, KnownAmphora>> {
  const rows = await db
    .selectFrom('amphora')
    .leftJoin('amphora_health', 'amphora_health.amphora_id', 'amphora.id')
    .select(['amphora.id', 'amphora.agent_url', 'amphora_health.last_seq'])
    .where('amphora.status', '<>', 'DELETED')
    .execute();
  return new Map(rows.map((r) => [r.id, { agentUrl: r.agent_url, lastSeq: Number(r.last_seq ?? 0) }]));
}

// ---- a flush ------------------------------------------------------------------------------

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

// ---- stale detection and failover ---------------------------------------------------------

export interface MonitoredRow {
  /** The database's clock when the rows were read. */
  now: Date;
  id: string;
  agent_url: string | null;
  /** The inventory host: the failure domain of its agent. */
  host_id: string | null;
  availability_zone: string | null;
  load_balancer_id: string;
  lb_status: string;
  last_seen: Date;
  /** No heartbeat ever: `last_seen` is its OFFLINE host's. */
  never_heard: boolean;
  silent: boolean;
  broken: boolean;
  /** Broken now, and its agent said it cannot heal it: no need to wait out the timeout. */
  unhealable: boolean;
  /** The agent's reason, when unhealable. */
  fault: string | null;
}

/** Rows per statement of `monitoredAmphorae`. */
const MONITORED_PAGE = 200;

/**
 * Every serving amphora that has sent a heartbeat, with whether it is silent or broken past
 * `timeoutMs`, longest silent first. An amphora never heard from is judged only once its host is
 * OFFLINE, as last heard when its host was (a host that died right after placing it would
 * otherwise keep it, and its load balancer, forever); until then it may still be starting. Read
 * in pages by id, so no one statement holds the embedded database (and the API requests behind
 * it) for the whole fleet.
 */
export async function monitoredAmphorae(db: Db, timeoutMs: number): Promise<MonitoredRow[]> {
  const rows: MonitoredRow[] = [];
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const page = await sql<MonitoredRow>`
      select now() as now, a.id, a.agent_url, a.host_id, lb.availability_zone, a.load_balancer_id, lb.provisioning_status as lb_status,
        coalesce(h.last_seen, ho.last_seen_at) as last_seen, h.amphora_id is null as never_heard,
        coalesce(h.last_seen, ho.last_seen_at) < now() - make_interval(secs => ${timeoutMs / 1000}) as silent,
        coalesce(h.broken_since < now() - make_interval(secs => ${timeoutMs / 1000}), false) as broken,
        coalesce(h.broken_since is not null and h.fault is not null, false) as unhealable, h.fault
      from amphora a
      left join amphora_health h on h.amphora_id = a.id
      left join host ho on ho.id = a.host_id
      join load_balancer lb on lb.id = a.load_balancer_id
      where a.status = 'ALLOCATED' and lb.provisioning_status <> 'DELETED' and a.id > ${after}::uuid
        and (h.amphora_id is not null or (ho.operating_status = 'OFFLINE' and ho.last_seen_at is not null))
      order by a.id
      limit ${MONITORED_PAGE}`.execute(db);
    rows.push(...page.rows.map((r) => ({ ...r, now: new Date(r.now), last_seen: new Date(r.last_seen) })));
    if (page.rows.length < MONITORED_PAGE) break;
    after = page.rows[page.rows.length - 1].id;
  }
  return rows.sort((x, y) => x.last_seen.getTime() - y.last_seen.getTime() || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

export interface BreakerRow {
  domain: string;
  open: boolean;
  reason: string | null;
  silent: number;
  total: number;
  opened_at: Date | null;
  closed_at: Date | null;
  reset_at: Date | null;
  updated_at: Date;
}

export async function breakerRows(db: Db): Promise<BreakerRow[]> {
  return db.selectFrom('failover_breaker').selectAll().orderBy('domain').execute();
}

/** Locks a domain's breaker row and says whether it is open now (false when there is none yet). */
export async function lockBreaker(db: Db, domain: string): Promise<boolean> {
  const row = await db.selectFrom('failover_breaker').select('open').where('domain', '=', domain).forUpdate().executeTakeFirst();
  return row?.open ?? false;
}

/** Stores a domain's state when it opened, closed, or (open) its counts changed. Returns whether it wrote. */
export async function saveBreaker(db: Db, state: DomainState, previous: BreakerRow | undefined): Promise<boolean> {
  const opened = state.open && !previous?.open;
  const closed = !state.open && previous?.open === true;
  const moved = state.open && previous?.open === true && (previous.silent !== state.silent || previous.total !== state.total);
  if (!opened && !closed && !moved) return false;
  await db
    .insertInto('failover_breaker')
    .values({ domain: state.domain, open: state.open, reason: state.reason, silent: state.silent, total: state.total, opened_at: state.open ? sql<Date>`now()` : null })
    .onConflict((oc) =>
      oc.column('domain').doUpdateSet({
        open: state.open,
        silent: state.silent,
        total: state.total,
        updated_at: sql<Date>`now()`,
        ...(opened ? { reason: state.reason, opened_at: sql<Date>`now()` } : {}),
        ...(closed ? { reason: `closed: heartbeats returned (${state.silent} of ${state.total} silent)`, closed_at: sql<Date>`now()` } : {}),
      }),
    )
    .execute();
  return true;
}

/** An operator lets the amphorae silent now be failed over; returns the row, or null for an unknown domain. */
export async function resetBreaker(db: Db, domain: string): Promise<BreakerRow | null> {
  const row = await db
    .updateTable('failover_breaker')
    .set({ open: false, reset_at: sql<Date>`now()`, closed_at: sql<Date>`now()`, reason: 'reset by an operator: amphorae silent at the reset may be failed over', updated_at: sql<Date>`now()` })
    .where('domain', '=', domain)
    .returningAll()
    .executeTakeFirst();
  return row ?? null;
}

/** Automatic failovers queued or running. */
export async function failoversInFlight(db: Db): Promise<number> {
  const row = await db
    .selectFrom('job')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('dedupe_key', 'like', `${FAILOVER_KEY_PREFIX}%`)
    .where('state', 'in', ['queued', 'running'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Queues the failover of one amphora as the operator API does (the load balancer goes
 * PENDING_UPDATE in the same transaction), unless its load balancer is no longer ACTIVE or a
 * failover of this amphora is already queued or running: the conditional update and the
 * unique dedupe key make sure that of several managers deciding at once, one job results.
 */
export async function enqueueFailover(db: Db, target: { amphoraId: string; loadBalancerId: string; reason: string; maxAttempts: number }): Promise<string | null> {
  try {
    return await db.transaction().execute(async (trx) => {
      const lb = await trx
        .updateTable('load_balancer')
        .set({ provisioning_status: 'PENDING_UPDATE', updated_at: new Date() })
        .where('id', '=', target.loadBalancerId)
        .where('provisioning_status', '=', 'ACTIVE')
        .returning(['id', 'provider', 'project_id'])
        .executeTakeFirst();
      if (!lb) return null;
      const op = failoverOperation(lb, target.amphoraId);
      await trx.updateTable('amphora').set({ fault: target.reason, updated_at: new Date() }).where('id', '=', target.amphoraId).execute();
      const jobId = await enqueueJob(trx, {
        kind: PROVIDER_OPERATION,
        payload: op,
        loadBalancerId: lb.id,
        maxAttempts: target.maxAttempts,
        priority: FAILOVER_PRIORITY,
        dedupeKey: `${FAILOVER_KEY_PREFIX}${target.amphoraId}`,
      });
      await recordEvent(trx, {
        type: 'failover.started',
        projectId: lb.project_id,
        loadBalancerId: lb.id,
        detail: { loadbalancer_id: lb.id, amphora_id: target.amphoraId, reason: target.reason, automatic: true, job_id: jobId },
      });
      return jobId;
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23505') return null;
    throw err;
  }
}

// ---- where heartbeats go ------------------------------------------------------------------

export async function registerManager(db: Db, id: string, host: string, port: number, counters: Record<string, number>): Promise<void> {
  const json = JSON.stringify(counters);
  await db
    .insertInto('health_manager')
    .values({ id, host, port, counters: json })
    .onConflict((oc) => oc.column('id').doUpdateSet({ host, port, counters: json, alive_at: sql<Date>`now()` }))
    .execute();
}

/** Over every amphora heard from: how many, how many their agent cannot heal, and the restarts it did. */
export async function amphoraHealthSummary(db: Db): Promise<{ reporting: number; unhealable: number; self_heals: number }> {
  const row = await sql<{ reporting: string; unhealable: string; self_heals: string | null }>`
    select count(*) as reporting, count(*) filter (where fault is not null) as unhealable, sum(self_heals) as self_heals
    from amphora_health h where exists (select 1 from amphora a where a.id = h.amphora_id and a.status <> 'DELETED')`.execute(db);
  const r = row.rows[0];
  return { reporting: Number(r?.reporting ?? 0), unhealable: Number(r?.unhealable ?? 0), self_heals: Number(r?.self_heals ?? 0) };
}

export async function managerRows(db: Db) {
  return db.selectFrom('health_manager').selectAll().orderBy('started_at').execute();
}

export async function removeManager(db: Db, id: string): Promise<void> {
  await db.deleteFrom('health_manager').where('id', '=', id).execute();
}

/** The managers that registered within `aliveMs`, in a stable order. */
export async function liveManagers(db: Db, aliveMs: number): Promise<{ host: string; port: number }[]> {
  return db
    .selectFrom('health_manager')
    .select(['host', 'port'])
    .where('alive_at', '>', sql<Date>`now() - make_interval(secs => ${aliveMs / 1000})`)
    .orderBy('host')
    .orderBy('port')
    .execute();
}

/** Of `ids`, the amphorae whose rows say they were deleted. */
export async function deletedAmphorae(db: Db, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('amphora').select('id').where('id', 'in', ids).where('status', '=', 'DELETED').execute();
  return rows.map((r) => r.id);
}

/** The agents that run amphorae. */
export async function agentUrls(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('amphora').select('agent_url').distinct().where('status', '<>', 'DELETED').where('agent_url', 'is not', null).execute();
  // Every inventory host too: a joined host knows its key before its first amphora beats.
  const hosts = await allHosts(db);
  return [...new Set([...rows.map((r) => r.agent_url!), ...hosts.map(agentUrlOf)])].sort();
}
