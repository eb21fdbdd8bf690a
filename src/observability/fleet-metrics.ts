// The figures /metrics reads from the database at each scrape, so that every process that
// serves /metrics tells the same: jobs, failovers, circuit breakers, amphorae and load
// balancers by status, and the data plane's figures (model/proxy-counters.ts) summed over
// each object's amphorae. One query per kind of figure, into a registry made for the scrape
// (an object deleted since the last scrape has no series left).
import { sql } from 'kysely';
import { Counter, Gauge, type MetricType, Registry } from 'prom-client';
import type { Db } from '../db/database.ts';
import { PROXY_FIGURES, type Figures, type ProxyFigure, type ProxyScope } from '../model/proxy-counters.ts';

const SCOPE_LABELS: Record<ProxyScope, readonly string[]> = {
  listener: ['loadbalancer_id', 'listener_id'],
  pool: ['loadbalancer_id', 'pool_id'],
  member: ['loadbalancer_id', 'pool_id', 'member_id'],
};

export interface FigureRow {
  load_balancer_id: string;
  listener_id: string | null;
  pool_id: string | null;
  member_id: string | null;
  counters: Figures;
  /** Empty for an amphora that is gone (its connections went with it). */
  gauges: Figures;
}

interface Aggregate {
  scope: ProxyScope;
  labels: Record<string, string>;
  values: Figures;
}

function scopeOf(row: FigureRow): ProxyScope {
  if (row.member_id !== null) return 'member';
  return row.pool_id !== null ? 'pool' : 'listener';
}

/** Sums the rows of each listener, pool and member over their amphorae (and a pool over its listeners). Pure. */
export function aggregateFigures(rows: FigureRow[]): Aggregate[] {
  const out = new Map<string, Aggregate>();
  for (const row of rows) {
    const scope = scopeOf(row);
    const labels: Record<string, string> =
      scope === 'listener'
        ? { loadbalancer_id: row.load_balancer_id, listener_id: row.listener_id ?? '' }
        : scope === 'pool'
          ? { loadbalancer_id: row.load_balancer_id, pool_id: row.pool_id! }
          : { loadbalancer_id: row.load_balancer_id, pool_id: row.pool_id!, member_id: row.member_id! };
    const key = `${scope}/${Object.values(labels).join('/')}`;
    let agg = out.get(key);
    if (!agg) out.set(key, (agg = { scope, labels, values: {} }));
    for (const source of [row.counters, row.gauges]) {
      for (const [stat, value] of Object.entries(source)) agg.values[stat] = (agg.values[stat] ?? 0) + Number(value);
    }
  }
  return [...out.values()];
}

/**
 * A metric of values read from the database, handed to the registry whole at the scrape.
 * prom-client's counters and gauges hash their labels on every update, which costs more than
 * the database reads once the fleet has tens of thousands of series; these values are set
 * once per scrape, so there is nothing to look up.
 */
class ScrapedMetric extends Gauge<string> {
  readonly #values: { labels: Record<string, string>; value: number }[] = [];

  constructor(
    registry: Registry,
    private readonly spec: { name: string; help: string; kind: 'counter' | 'gauge'; labelNames?: readonly string[] },
  ) {
    super({ name: spec.name, help: spec.help, labelNames: spec.labelNames ?? [], registers: [registry] });
  }

  add(labels: Record<string, string>, value: number): void {
    this.#values.push({ labels, value });
  }

  override async get() {
    // MetricType is declared as an enum of these very strings, with no value exported to name them by.
    const type = this.spec.kind as unknown as MetricType;
    return { name: this.spec.name, help: this.spec.help, type, values: this.#values, aggregator: 'sum' as const, collect: () => {} };
  }
}

function figureMetricName(scope: ProxyScope, f: ProxyFigure): string {
  return `fulcrum_${scope}_${f.metric}${f.kind === 'counter' ? '_total' : ''}`;
}

/**
 * Adds the data plane's figures to `registry`: every figure of a scope for every object, zero
 * when not counted yet; a figure only nftables counts only for the objects that reported it.
 */
export function registerFigures(registry: Registry, aggregates: Aggregate[]): void {
  const metrics = new Map<string, ScrapedMetric>();
  const metricFor = (scope: ProxyScope, f: ProxyFigure) => {
    const name = figureMetricName(scope, f);
    let metric = metrics.get(name);
    if (!metric) {
      metric = new ScrapedMetric(registry, { name, help: f.help, kind: f.kind, labelNames: [...SCOPE_LABELS[scope], ...Object.keys(f.labels ?? {})] });
      metrics.set(name, metric);
    }
    return metric;
  };
  for (const agg of aggregates) {
    for (const f of PROXY_FIGURES) {
      if (!f.scopes.includes(agg.scope) || (f.nftablesOnly && agg.values[f.stat] === undefined)) continue;
      const metric = metricFor(agg.scope, f);
      metric.add(f.labels ? { ...agg.labels, ...f.labels } : agg.labels, agg.values[f.stat] ?? 0);
    }
  }
}

async function dataPlane(db: Db, registry: Registry): Promise<void> {
  const rows = await sql<FigureRow>`
    select f.load_balancer_id, f.listener_id, f.pool_id, f.member_id, f.counters,
      case when a.status is not null and a.status <> 'DELETED' then f.gauges else '{}'::jsonb end as gauges
    from proxy_figures f
    join load_balancer lb on lb.id = f.load_balancer_id and lb.provisioning_status <> 'DELETED'
    left join amphora a on a.id = f.amphora_id`.execute(db);
  registerFigures(registry, aggregateFigures(rows.rows));
  const members = await sql<{ id: string; pool_id: string; load_balancer_id: string; operating_status: string }>`
    select m.id, m.pool_id, p.load_balancer_id, m.operating_status
    from member m join pool p on p.id = m.pool_id
    where m.provisioning_status <> 'DELETED'`.execute(db);
  const memberStatus = new ScrapedMetric(registry, {
    name: 'fulcrum_member_operating_status',
    help: 'A member\'s operating status (ONLINE, DEGRADED, ERROR, DRAINING, NO_MONITOR, OFFLINE): 1 for the current one',
    kind: 'gauge',
    labelNames: ['loadbalancer_id', 'pool_id', 'member_id', 'operating_status'],
  });
  for (const m of members.rows) memberStatus.add({ loadbalancer_id: m.load_balancer_id, pool_id: m.pool_id, member_id: m.id, operating_status: m.operating_status }, 1);
}

async function controlPlane(db: Db, registry: Registry): Promise<void> {
  const jobs = await sql<{ kind: string; state: string; failover: boolean; n: string }>`
    select kind, state, coalesce(payload ->> 'action' = 'failover', false) as failover, count(*) as n from job group by 1, 2, 3`.execute(db);
  const jobGauge = new Gauge({ name: 'fulcrum_jobs', help: 'Jobs in the database by kind and state (queued, running, succeeded, failed)', labelNames: ['kind', 'state'], registers: [registry] });
  const started = new Counter({ name: 'fulcrum_failovers_started_total', help: 'Failovers queued, automatic or by an operator', registers: [registry] });
  const finished = new Counter({ name: 'fulcrum_failovers_finished_total', help: 'Failovers ended, by outcome (succeeded, failed)', labelNames: ['outcome'], registers: [registry] });
  const inFlight = new Gauge({ name: 'fulcrum_failovers_in_progress', help: 'Failovers queued or running now', registers: [registry] });
  started.inc(0);
  inFlight.set(0);
  for (const outcome of ['succeeded', 'failed']) finished.inc({ outcome }, 0);
  for (const r of jobs.rows) {
    const n = Number(r.n);
    jobGauge.inc({ kind: r.kind, state: r.state }, n);
    if (!r.failover) continue;
    started.inc(n);
    if (r.state === 'succeeded' || r.state === 'failed') finished.inc({ outcome: r.state }, n);
    else inFlight.inc(n);
  }

  const breakers = await sql<{ domain: string; open: boolean; silent: number; total: number }>`select domain, open, silent, total from failover_breaker`.execute(db);
  const open = new Gauge({ name: 'fulcrum_circuit_breaker_open', help: 'Automatic failover stopped in the failure domain (1) or allowed (0)', labelNames: ['domain'], registers: [registry] });
  const silent = new Gauge({ name: 'fulcrum_circuit_breaker_silent_amphorae', help: 'Amphorae of the failure domain silent when last evaluated', labelNames: ['domain'], registers: [registry] });
  const total = new Gauge({ name: 'fulcrum_circuit_breaker_amphorae', help: 'Amphorae of the failure domain when last evaluated', labelNames: ['domain'], registers: [registry] });
  for (const b of breakers.rows) {
    open.set({ domain: b.domain }, b.open ? 1 : 0);
    silent.set({ domain: b.domain }, Number(b.silent));
    total.set({ domain: b.domain }, Number(b.total));
  }

  const amphorae = await sql<{ status: string; n: string }>`select status, count(*) as n from amphora where status <> 'DELETED' group by 1`.execute(db);
  const amphoraGauge = new Gauge({ name: 'fulcrum_amphorae', help: 'Amphorae by status', labelNames: ['status'], registers: [registry] });
  for (const r of amphorae.rows) amphoraGauge.set({ status: r.status }, Number(r.n));

  const lbs = await sql<{ provisioning_status: string; operating_status: string; n: string }>`
    select provisioning_status, operating_status, count(*) as n from load_balancer where provisioning_status <> 'DELETED' group by 1, 2`.execute(db);
  const lbGauge = new Gauge({ name: 'fulcrum_loadbalancers', help: 'Load balancers by provisioning and operating status', labelNames: ['provisioning_status', 'operating_status'], registers: [registry] });
  for (const r of lbs.rows) lbGauge.set({ provisioning_status: r.provisioning_status, operating_status: r.operating_status }, Number(r.n));
}

/** What HAProxy refused per listener (protection, allowed_cidrs; every protocol): the statistics totals summed over amphorae. */
async function refusals(db: Db, registry: Registry): Promise<void> {
  const rows = await sql<{ listener_id: string; load_balancer_id: string; protocol: string; refused_connections: string; refused_requests: string }>`
    select s.listener_id, s.load_balancer_id, l.protocol,
      sum(s.refused_connections) as refused_connections, sum(s.refused_requests) as refused_requests
    from listener_statistics s
    join listener l on l.id = s.listener_id and l.provisioning_status <> 'DELETED'
    group by 1, 2, 3`.execute(db);
  const labelNames = ['loadbalancer_id', 'listener_id', 'protocol'];
  const connections = new ScrapedMetric(registry, {
    name: 'fulcrum_listener_refused_connections_total',
    help: 'Connections the listener refused: outside allowed_cidrs, over a per-source connection limit',
    kind: 'counter',
    labelNames,
  });
  const requests = new ScrapedMetric(registry, {
    name: 'fulcrum_listener_refused_requests_total',
    help: 'Requests the listener refused: over a per-source request rate, L7 REJECT policies',
    kind: 'counter',
    labelNames,
  });
  for (const r of rows.rows) {
    const labels = { loadbalancer_id: r.load_balancer_id, listener_id: r.listener_id, protocol: r.protocol };
    connections.add(labels, Number(r.refused_connections));
    requests.add(labels, Number(r.refused_requests));
  }
}

/**
 * Events and webhook deliveries, counted in their tables so every process tells the same (a
 * process's own delivery counts would tell only what its worker delivered). Deleting a webhook
 * deletes its deliveries: Prometheus takes the drop for a counter reset.
 */
async function eventsAndDeliveries(db: Db, registry: Registry): Promise<void> {
  const events = await sql<{ type: string; severity: string; n: string }>`select type, severity, count(*) as n from event group by 1, 2`.execute(db);
  const eventCounter = new ScrapedMetric(registry, { name: 'fulcrum_events_total', help: 'Events recorded, by type and severity', kind: 'counter', labelNames: ['type', 'severity'] });
  for (const r of events.rows) eventCounter.add({ type: r.type, severity: r.severity }, Number(r.n));

  const d = await sql<{ delivered: string; dead: string; pending: string; attempts: string }>`
    select count(*) filter (where status = 'delivered') as delivered, count(*) filter (where status = 'dead') as dead,
      count(*) filter (where status = 'pending') as pending, coalesce(sum(attempts), 0) as attempts
    from webhook_delivery`.execute(db);
  const row = d.rows[0];
  const deliveries = new ScrapedMetric(registry, {
    name: 'fulcrum_webhook_deliveries_total',
    help: 'Webhook deliveries ended, by outcome (delivered, dead: dead-lettered after the last attempt)',
    kind: 'counter',
    labelNames: ['outcome'],
  });
  deliveries.add({ outcome: 'delivered' }, Number(row?.delivered ?? 0));
  deliveries.add({ outcome: 'dead' }, Number(row?.dead ?? 0));
  // Every attempt of a delivery but the one that succeeded failed.
  const failed = new ScrapedMetric(registry, { name: 'fulcrum_webhook_failed_attempts_total', help: 'Webhook delivery attempts that failed (refused, timed out, answered non-2xx)', kind: 'counter' });
  failed.add({}, Number(row?.attempts ?? 0) - Number(row?.delivered ?? 0));
  const pending = new ScrapedMetric(registry, { name: 'fulcrum_webhook_deliveries_pending', help: 'Webhook deliveries not yet delivered nor dead-lettered', kind: 'gauge' });
  pending.add({}, Number(row?.pending ?? 0));
}

/** A registry holding what the database says now. */
export async function fleetRegistry(db: Db): Promise<Registry> {
  const registry = new Registry();
  await controlPlane(db, registry);
  await dataPlane(db, registry);
  await refusals(db, registry);
  await eventsAndDeliveries(db, registry);
  return registry;
}
