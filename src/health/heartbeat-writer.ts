// What a health manager writes of the heartbeats it receives, one batch per flush: liveness for
// every amphora heard, then, from the heartbeats that carry statistics, the operating statuses
// that changed, listener counters and figures that moved, and refusal events. Everything it
// remembers (what was last written) only saves writes: another manager, or this one
// restarted, writes the same from scratch.
import type { Db } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { StatusCallbacks } from '../providers/status-callbacks.ts';
import type { Heartbeat } from '../agent/heartbeat-codec.ts';
import { loadLbGraph } from '../amphora/graph-loader.ts';
import { namedCounters } from './listener-counters.ts';
import { RefusalWatch } from './refusal-watch.ts';
import { recordRefusalChange } from './refusal-events.ts';
import { carriesStatistics, proxyStats, statusFingerprint } from './heartbeat-stats.ts';
import { reportedFigures, type ReportedFigures } from './heartbeat-figures.ts';
import { addProxyFigures } from './proxy-figures-store.ts';
import { addCounters, recordLiveness, servingAmphorae, type ReportedCounters, type ServingAmphora } from './heartbeat-flush-store.ts';
import { isEmptyUpdate, onlyChanges, operatingStatuses } from './operating-status.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Heartbeats written per statement in a flush. */
const FLUSH_SLICE = 100;

export class HeartbeatWriter {
  /** The latest heartbeat per amphora since the last flush. */
  #pending = new Map<string, Heartbeat>();
  /** What statuses were last derived from, per amphora: a heartbeat with the same needs no write. */
  readonly #statusBasis = new Map<string, string>();
  /** The counters last stored per amphora/listener/epoch. */
  readonly #countersBasis = new Map<string, string>();
  /** The figures last stored per amphora/proxy/server/epoch. */
  readonly #figuresBasis = new Map<string, string>();
  readonly #refusals = new RefusalWatch();
  #flushedAt = 0;

  constructor(
    private readonly db: Db,
    private readonly callbacks: StatusCallbacks,
    private readonly log: Logger,
  ) {}

  /** When the last flush ended (0: none yet). */
  get flushedAt(): number {
    return this.#flushedAt;
  }

  accept(hb: Heartbeat): void {
    const pending = this.#pending.get(hb.amphora_id);
    // One without statistics keeps those of the heartbeat it follows in this batch: a server's
    // state change sent at once must not be overwritten by the liveness that came after it.
    this.#pending.set(hb.amphora_id, pending?.haproxy.running && !carriesStatistics(hb) ? { ...hb, haproxy: pending.haproxy, proxies: pending.proxies } : hb);
  }

  /** Drops what is remembered of amphorae not in `live`. */
  forget(live: Set<string>): void {
    for (const key of this.#statusBasis.keys()) if (!live.has(key)) this.#statusBasis.delete(key);
    for (const key of this.#countersBasis.keys()) if (!live.has(key.split('/')[0])) this.#countersBasis.delete(key);
    for (const key of this.#figuresBasis.keys()) if (!live.has(key.split('/')[0])) this.#figuresBasis.delete(key);
  }

  /**
   * A listener that starts or stops refusing clients at a high rate: logged, and recorded as
   * one event however many managers see it (refusal-events.ts). The top sources are for the
   * operator to ask for (GET /v2/fulcrum/listeners/{id}/protection/sources).
   */
  async #refusalTransition(amphora: { amphora_id: string; load_balancer_id: string }, listenerId: string, epoch: string, atMs: number, c: { refused_connections: number; refused_requests: number }): Promise<void> {
    const t = this.#refusals.observe({ listenerId, amphoraId: amphora.amphora_id, epoch, refused: c.refused_connections + c.refused_requests, atMs });
    if (!t) return;
    const fields = { listener_id: listenerId, load_balancer_id: amphora.load_balancer_id, amphora_id: amphora.amphora_id, refused_per_second: Math.round(t.perSecond) };
    if (t.state === 'started') this.log.warn(fields, 'listener started refusing clients at a high rate');
    else this.log.info(fields, 'listener stopped refusing clients at a high rate');
    // The event must not cost the batch its counters: a failure is logged and the flush goes on.
    await recordRefusalChange(this.db, { state: t.state, listenerId, amphoraId: amphora.amphora_id, loadBalancerId: amphora.load_balancer_id, perSecond: t.perSecond }).catch((err) =>
      this.log.warn({ err, ...fields }, 'could not record the refusal event'),
    );
  }

  /**
   * Writes the heartbeats received since the last flush: liveness, then changed statuses and
   * counters. `unhealable`: some amphora's agent said it cannot heal it.
   */
  async flush(): Promise<{ unhealable: boolean }> {
    const batch = this.#pending;
    this.#pending = new Map();
    if (batch.size === 0) {
      this.#flushedAt = Date.now();
      return { unhealable: false };
    }
    const { db } = this;
    const serving: ServingAmphora[] = [];
    // In slices: the embedded database runs each statement on this thread, and one statement
    // over a whole fleet's heartbeats would hold every API request behind it.
    const heartbeats = [...batch.values()];
    for (let i = 0; i < heartbeats.length; i += FLUSH_SLICE) {
      await recordLiveness(
        db,
        heartbeats.slice(i, i + FLUSH_SLICE).map((hb) => ({ amphora_id: hb.amphora_id, seq: hb.seq, running: hb.haproxy.running, fault: hb.fault ?? null, heals: hb.heals ?? 0 })),
      );
    }
    const reporting = heartbeats.filter(carriesStatistics);
    for (let i = 0; i < reporting.length; i += FLUSH_SLICE) {
      serving.push(...(await servingAmphorae(db, reporting.slice(i, i + FLUSH_SLICE).map((hb) => hb.amphora_id))));
    }
    const unhealable = heartbeats.some((hb) => hb.fault);
    const counters: ReportedCounters[] = [];
    const figures: ReportedFigures[] = [];
    for (const amphora of serving) {
      const hb = batch.get(amphora.amphora_id)!;
      const basis = `${amphora.lb_updated_at?.getTime() ?? 0}\n${statusFingerprint(hb)}`;
      if (this.#statusBasis.get(amphora.amphora_id) !== basis) {
        const graph = await loadLbGraph(db, amphora.load_balancer_id);
        const update = onlyChanges(operatingStatuses(graph, proxyStats(hb)), graph);
        if (!isEmptyUpdate(update)) await this.callbacks.updateStatuses(update);
        this.#statusBasis.set(amphora.amphora_id, basis);
      }
      for (const row of reportedFigures(hb, amphora.load_balancer_id)) {
        const key = `${row.amphora_id}/${row.proxy}/${row.server}/${row.epoch}`;
        const value = JSON.stringify(row.figures);
        if (this.#figuresBasis.get(key) === value) continue;
        this.#figuresBasis.set(key, value);
        figures.push(row);
      }
      for (const p of hb.proxies) {
        if (p.s !== 'FRONTEND' || !p.c || !UUID.test(p.p) || hb.haproxy.epoch === null) continue;
        await this.#refusalTransition(amphora, p.p, hb.haproxy.epoch, hb.ts, namedCounters(p.c));
        const key = `${amphora.amphora_id}/${p.p}/${hb.haproxy.epoch}`;
        const value = p.c.join(',');
        if (this.#countersBasis.get(key) === value) continue;
        this.#countersBasis.set(key, value);
        counters.push({
          listener_id: p.p,
          amphora_id: amphora.amphora_id,
          load_balancer_id: amphora.load_balancer_id,
          epoch: hb.haproxy.epoch,
          ...namedCounters(p.c),
        });
      }
    }
    await addCounters(db, counters);
    await addProxyFigures(db, figures);
    this.#flushedAt = Date.now();
    return { unhealable };
  }
}
