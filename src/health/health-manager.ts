// The health manager: takes heartbeats, writes what changed in batches, fails over amphorae
// that went silent or cannot heal their data plane (behind the circuit breakers), and tells
// the agents where to send heartbeats. Any number of them may run against one database: each
// receives every heartbeat (agents send to all), the statistics and failover decisions are
// made safe by the database, and nothing one holds in memory is needed by another.
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { SecretStore } from '../certs/secret-store.ts';
import type { Logger } from '../observability/logger.ts';
import { failoversQueued } from '../observability/metrics.ts';
import type { StatusCallbacks } from '../providers/status-callbacks.ts';
import type { Heartbeat } from '../agent/heartbeat-codec.ts';
import type { HeartbeatSettings } from '../agent/heartbeat-settings.ts';
import { settingsDigest } from '../agent/heartbeat-settings.ts';
import { evaluateBreakers, inClosingGrace, type BreakerPolicy, type DomainState, type MonitoredAmphora } from './circuit-breaker.ts';
import { failoverCause } from './failover-cause.ts';
import { quietHosts, returnGraceEndsMs, waitsForHost, type HeardAmphora } from './host-silence.ts';
import { HeartbeatReceiver } from './heartbeat-receiver.ts';
import { pruneProxyFigures } from './proxy-figures-store.ts';
import { ensureAgentKey, knownAmphorae, loadAgentKeys } from './heartbeat-auth-store.ts';
import { pruneHealth } from './heartbeat-flush-store.ts';
import { HeartbeatWriter } from './heartbeat-writer.ts';
import { monitoredAmphorae, type MonitoredRow } from './monitored-amphorae-store.ts';
import { breakerRows, enqueueFailover, failoversInFlight, lockBreaker, saveBreaker, type BreakerRow } from './failover-store.ts';
import { agentUrls, deletedAmphorae, liveManagers, registerManager, removeManager } from './manager-registry-store.ts';
import { NoopHeartbeats } from './noop-heartbeats.ts';
import { recordEvent } from '../observability/events.ts';
import { HostMonitor } from './host-monitor.ts';

export interface HealthManagerSettings {
  bindHost: string;
  port: number;
  advertiseHost: string | null;
  /** How often received heartbeats are written (one batch). */
  flushMs: number;
  intervalMs: number;
  timeoutMs: number;
  /** How long the amphorae of a host gone quiet as a whole wait for it before failover (host-silence.ts). */
  hostGraceMs: number;
  autoFailover: boolean;
  maxConcurrentFailovers: number;
  breaker: BreakerPolicy;
  jobMaxAttempts: number;
  /** How often the agents' heartbeat settings are checked (and pushed when they differ). */
  syncMs: number;
}

export interface HeartbeatAgents {
  ping(agentUrl: string): Promise<boolean>;
  heartbeatDigest(agentUrl: string): Promise<string | null>;
  configureHeartbeat(agentUrl: string, settings: HeartbeatSettings): Promise<void>;
  /** The amphorae the agent has a configuration for. */
  hosted(agentUrl: string): Promise<string[]>;
  /** Stops what the agent runs for the amphora and forgets it. */
  remove(agentUrl: string, amphoraId: string): Promise<void>;
}

export interface HealthManagerDeps {
  db: Db;
  secrets: SecretStore;
  agents: () => Promise<HeartbeatAgents>;
  callbacks: StatusCallbacks;
  log: Logger;
  settings: HealthManagerSettings;
  /** The noop compute driver's amphorae have no agent: this process makes their heartbeats. */
  noopAmphorae?: boolean;
}

/** Heartbeat timestamps further than this from our clock are refused (replays, broken clocks). */
const WINDOW_MS = 10_000;
const PRUNE_EVERY_MS = 60_000;
/** How often DRAINING hosts are looked at for amphorae still to move. */
const DRAIN_EVERY_MS = 500;

export class HealthManager {
  readonly id = randomUUID();
  readonly receiver: HeartbeatReceiver;
  readonly #writer: HeartbeatWriter;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #running = new Map<string, Promise<void>>();
  /** When this process last received each amphora's heartbeat (written or not yet). */
  readonly #heardAt = new Map<string, number>();
  #listeningSince = 0;
  #prunedAt = 0;
  #port = 0;
  /** Hosts this manager saw quiet as a whole, and whether their grace ran out: logged once each way. */
  readonly #quietHosts = new Map<string, boolean>();
  /** Hosts heard again after being quiet, and until when their amphorae's silence is still theirs. */
  readonly #returningHosts = new Map<string, number>();
  failoversStarted = 0;
  #noop: NoopHeartbeats | null = null;
  readonly hosts: HostMonitor;

  constructor(private readonly deps: HealthManagerDeps) {
    this.#writer = new HeartbeatWriter(deps.db, deps.callbacks, deps.log);
    this.hosts = new HostMonitor({
      db: deps.db,
      log: deps.log,
      ping: async (url) => (await deps.agents()).ping(url),
      timeoutMs: deps.settings.timeoutMs,
      maxConcurrentFailovers: deps.settings.maxConcurrentFailovers,
      jobMaxAttempts: deps.settings.jobMaxAttempts,
    });
    this.receiver = new HeartbeatReceiver(
      {
        keys: () => loadAgentKeys(deps.db, deps.secrets),
        amphorae: () => knownAmphorae(deps.db),
      },
      (hb) => this.accept(hb),
      { windowMs: WINDOW_MS, maxPerSecond: Math.max(5, Math.ceil((3 * 1000) / deps.settings.intervalMs)) },
      deps.log,
    );
  }

  /** A heartbeat that passed the receiver's checks (or one made in this process), to be written at the next flush. */
  accept(hb: Heartbeat): void {
    this.#writer.accept(hb);
    this.#heardAt.set(hb.amphora_id, Date.now());
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    const s = this.deps.settings;
    this.#port = await this.receiver.listen(s.bindHost, s.port);
    this.#listeningSince = Date.now();
    this.deps.log.info({ host: s.bindHost, port: this.#port, manager_id: this.id }, 'health manager takes heartbeats');
    await this.#guard('sync', () => this.syncAgents());
    this.#every('flush', s.flushMs, () => this.flush());
    this.#every('detect', Math.min(1000, Math.max(100, Math.floor(s.timeoutMs / 4))), () => this.detect());
    this.#every('sync', s.syncMs, () => this.syncAgents());
    this.#every('hosts', s.intervalMs, () => this.hosts.probe());
    this.#every('drain', DRAIN_EVERY_MS, () => this.hosts.drain());
    if (this.deps.noopAmphorae) {
      this.#noop = new NoopHeartbeats(this.deps.db, (hb) => this.accept(hb), s.intervalMs, this.deps.log);
      this.#noop.start();
    }
  }

  async stop(): Promise<void> {
    await this.#noop?.stop();
    for (const t of this.#timers) clearInterval(t);
    await Promise.all(this.#running.values());
    await this.receiver.close();
    await this.flush().catch((err) => this.deps.log.warn({ err }, 'last heartbeat flush failed'));
    // The other managers stop sending this one's address to the agents at their next sync.
    await removeManager(this.deps.db, this.id).catch(() => {});
  }

  #every(name: string, ms: number, fn: () => Promise<void>): void {
    const timer = setInterval(() => void this.#guard(name, fn), ms);
    this.#timers.push(timer);
  }

  /** One run of `name` at a time; a failure is logged and the next tick tries again. */
  #guard(name: string, fn: () => Promise<void>): Promise<void> {
    if (this.#running.has(name)) return this.#running.get(name)!;
    const run = fn()
      .catch((err) => this.deps.log.warn({ err }, `health manager ${name} failed`))
      .finally(() => this.#running.delete(name));
    this.#running.set(name, run);
    return run;
  }

  /** Writes the heartbeats received since the last flush (heartbeat-writer.ts). */
  async flush(): Promise<void> {
    const { unhealable } = await this.#writer.flush();
    // An amphora its agent cannot heal is acted on now, not at the next detection tick.
    if (unhealable) void this.#guard('detect', () => this.detect());
  }

  /** Finds silent and broken amphorae, updates the circuit breakers, and queues failovers. */
  async detect(): Promise<void> {
    const s = this.deps.settings;
    const { db, log } = this.deps;
    if (Date.now() - this.#prunedAt > PRUNE_EVERY_MS) {
      this.#prunedAt = Date.now();
      await pruneHealth(db);
      await pruneProxyFigures(db);
      const live = new Set((await knownAmphorae(db)).keys());
      this.#writer.forget(live);
      for (const key of this.#heardAt.keys()) if (!live.has(key)) this.#heardAt.delete(key);
    }
    // Until this manager has listened for a whole timeout, old last_seen values may only mean
    // that no manager was running: judging them now would fail over a healthy fleet.
    if (Date.now() - this.#listeningSince < s.timeoutMs + s.intervalMs) return;
    // Nor while this process's own writes lag (its database busy, its event loop stalled):
    // last_seen would be old because of us, not because of the amphorae.
    if (Date.now() - this.#writer.flushedAt > 2 * s.flushMs + s.timeoutMs / 2) return;
    const rows = await monitoredAmphorae(db, s.timeoutMs);
    const heardLately = (id: string) => Date.now() - (this.#heardAt.get(id) ?? 0) < s.timeoutMs;
    const monitored: (MonitoredAmphora & { row: MonitoredRow })[] = rows.map((r) => {
      const silent = r.silent && !heardLately(r.id);
      return { id: r.id, host: r.host_id ?? r.agent_url, availabilityZone: r.availability_zone, silent, lastSeen: r.last_seen, row: { ...r, silent } };
    });
    const previous = new Map((await breakerRows(db)).map((b) => [b.domain, b]));
    const resets = new Map([...previous.values()].filter((b) => b.reset_at).map((b) => [b.domain, b.reset_at!]));
    const verdict = evaluateBreakers(monitored, s.breaker, resets);
    for (const state of verdict.domains) await this.#saveBreaker(state, previous.get(state.domain));
    // Domains no amphora belongs to any more close too.
    for (const row of previous.values()) {
      if (row.open && !verdict.domains.some((d) => d.domain === row.domain)) await this.#saveBreaker({ domain: row.domain, total: 0, silent: 0, open: false, reason: null }, row);
    }
    if (!s.autoFailover) return;
    // When each closed breaker closed, for the grace of amphorae still silent (none after an
    // operator's reset, which asks for failover at once).
    const closedAt = new Map<string, Date>();
    for (const state of verdict.domains) {
      const row = previous.get(state.domain);
      if (state.open || !row) continue;
      const resetClosed = row.reset_at !== null && row.closed_at !== null && row.reset_at >= row.closed_at;
      if (row.open) closedAt.set(state.domain, rows[0]?.now ?? new Date());
      else if (row.closed_at && !resetClosed) closedAt.set(state.domain, row.closed_at);
    }
    const hosts = this.#hostSilence(monitored, rows[0]?.now);
    const due = monitored
      .map((a) => ({ ...a, cause: failoverCause(a.row, s.timeoutMs) }))
      .filter((a) => a.cause !== null && verdict.allowed(a) && !inClosingGrace(a, closedAt, a.row.now, s.timeoutMs) && !hosts.waits(a));
    if (due.length === 0) return;
    let slots = s.maxConcurrentFailovers - (await failoversInFlight(db));
    for (const a of due) {
      if (slots <= 0) {
        log.warn({ waiting: due.length }, 'automatic failovers are rate-limited; the rest wait for a free slot');
        break;
      }
      const reason = a.cause!.reason;
      const jobId = await enqueueFailover(db, { amphoraId: a.id, loadBalancerId: a.row.load_balancer_id, reason, maxAttempts: s.jobMaxAttempts });
      if (jobId) {
        slots--;
        this.failoversStarted++;
        failoversQueued().inc({ cause: a.cause!.kind });
        log.warn({ amphora_id: a.id, load_balancer_id: a.row.load_balancer_id, job_id: jobId, reason }, 'automatic failover started');
      }
    }
  }

  /**
   * Which silent amphorae wait for their host to be heard again (host-silence.ts), with a log
   * line when a host goes quiet, when its grace runs out, and when it is heard again.
   */
  #hostSilence(monitored: MonitoredAmphora[], dbNow: Date | undefined): { waits(a: MonitoredAmphora): boolean } {
    const s = this.deps.settings;
    const now = Date.now();
    // Ages, not instants: the database's clock and ours may differ.
    const dbAge = (a: MonitoredAmphora) => (dbNow ? dbNow.getTime() - a.lastSeen.getTime() : Number.POSITIVE_INFINITY);
    const heard: HeardAmphora[] = monitored.map((a) => ({
      id: a.id,
      host: a.host,
      silent: a.silent,
      lastHeardMs: now - Math.min(dbAge(a), now - (this.#heardAt.get(a.id) ?? 0)),
    }));
    const settings = { intervalMs: s.intervalMs, timeoutMs: s.timeoutMs, graceMs: s.hostGraceMs };
    const quiet = quietHosts(heard, now, settings, this.#listeningSince);
    for (const [host, q] of quiet) {
      const graceOver = now >= q.graceEndsMs;
      if (this.#quietHosts.get(host) === graceOver) continue;
      const known = this.#quietHosts.has(host);
      this.#quietHosts.set(host, graceOver);
      const fields = { host, amphorae: q.amphorae, last_heard: new Date(q.lastHeardMs).toISOString(), grace_ends: new Date(q.graceEndsMs).toISOString() };
      if (!graceOver) this.deps.log.warn(fields, 'every amphora of a host went silent at once: its agent or host is down, not the amphorae; their failovers wait for it to come back');
      else this.deps.log.error(fields, known ? 'a silent host did not come back within its grace: its amphorae may be failed over' : 'a host is silent past its grace: its amphorae may be failed over');
    }
    for (const host of this.#quietHosts.keys()) {
      if (quiet.has(host)) continue;
      this.#quietHosts.delete(host);
      this.#returningHosts.set(host, returnGraceEndsMs(now, settings));
      this.deps.log.warn({ host }, 'a silent host is heard again');
    }
    for (const [host, graceEnds] of this.#returningHosts) if (now >= graceEnds) this.#returningHosts.delete(host);
    const byId = new Map(heard.map((a) => [a.id, a]));
    return { waits: (a) => waitsForHost(byId.get(a.id)!, quiet, now, this.#returningHosts) };
  }

  async #saveBreaker(state: DomainState, previous: BreakerRow | undefined): Promise<void> {
    const wrote = await this.deps.db.transaction().execute(async (trx) => {
      // Decided on the locked row, not on what this manager read before: of several managers
      // seeing the same domain trip, the first records the event and the others find it open.
      const wasOpen = await lockBreaker(trx, state.domain);
      if (!(await saveBreaker(trx, state, previous))) return false;
      const opened = state.open && !wasOpen;
      if (opened || (!state.open && wasOpen)) {
        await recordEvent(trx, {
          type: opened ? 'circuit_breaker.tripped' : 'circuit_breaker.reset',
          projectId: null,
          loadBalancerId: null,
          detail: { domain: state.domain, silent: state.silent, total: state.total, ...(opened ? { reason: state.reason } : { by: 'heartbeats' }) },
        });
      }
      return true;
    });
    if (!wrote) return;
    if (state.open && !previous?.open) this.deps.log.error({ domain: state.domain, silent: state.silent, total: state.total }, state.reason ?? 'circuit breaker open');
    else if (!state.open && previous?.open) this.deps.log.warn({ domain: state.domain }, 'circuit breaker closed: heartbeats returned');
  }

  /**
   * An amphora removed while its agent was down (a failover retiring it during an agent
   * restart) is still configured there, and the agent brings back every amphora it has a
   * configuration for when it starts: whatever the agent runs that the database says was
   * deleted is removed again.
   */
  async #removeLeftovers(agents: HeartbeatAgents, url: string): Promise<void> {
    for (const id of await deletedAmphorae(this.deps.db, await agents.hosted(url))) {
      await agents.remove(url, id);
      this.deps.log.warn({ agent_url: url, amphora_id: id }, 'removed a deleted amphora its agent still ran');
    }
  }

  /** Registers this manager and gives every agent the current managers and its key. */
  async syncAgents(): Promise<void> {
    const s = this.deps.settings;
    const { db, secrets, log } = this.deps;
    await registerManager(db, this.id, s.advertiseHost ?? s.bindHost, this.#port, this.receiver.counters);
    const urls = await agentUrls(db);
    if (urls.length === 0) return;
    const targets = await liveManagers(db, Math.max(3 * s.syncMs, 30_000));
    const agents = await this.deps.agents();
    await Promise.all(
      urls.map(async (url) => {
        try {
          const key = await ensureAgentKey(db, secrets, url);
          const settings: HeartbeatSettings = { key_id: key.keyId, key: key.key.toString('base64'), targets, interval_ms: s.intervalMs };
          // Up to date already (an agent restarted with its settings file): nothing to send, but
          // its leftovers below are still to be checked.
          if ((await agents.heartbeatDigest(url)) !== settingsDigest(settings)) {
            await agents.configureHeartbeat(url, settings);
            log.info({ agent_url: url, targets }, 'agent heartbeat settings updated');
          }
        } catch (err) {
          log.warn({ err, agent_url: url }, 'cannot give the agent its heartbeat settings');
        }
        await this.#removeLeftovers(agents, url).catch((err) => log.warn({ err, agent_url: url }, 'cannot check the agent for deleted amphorae it still runs'));
      }),
    );
    // A new key (new agent) must be known before its first heartbeat arrives.
    await this.receiver.refresh();
  }
}
