// Sends every amphora's heartbeat to every health manager, once per interval. A tick that is
// still running when the next is due is not doubled; a slow or dead HAProxy delays only its
// own amphora's statistics, never the others' liveness.
//
// Statuses and statistics go in every FIGURES_EVERY_BEATS-th heartbeat, and at once when
// something changed them (a server's state, a reload, a daemon's exit: `beatNow`); the others
// say only that the amphora lives (docs/architecture.md, "Health"). Asking HAProxy for its
// statistics is most of what an idle fleet costs, on the agent's side and on HAProxy's.
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../observability/logger.ts';
import { encodeFitting, type Heartbeat } from './heartbeat-codec.ts';
import { settingsDigest, type HeartbeatSettings } from './heartbeat-settings.ts';
import type { Snapshot } from './heartbeat-snapshot.ts';

const SLICES = 10;
export const FIGURES_EVERY_BEATS = 5;

export interface HeartbeatSource {
  ids(): string[];
  /** With `figures` false, only whether HAProxy runs and can be healed: no question to HAProxy. */
  snapshot(id: string, timeoutMs: number, figures: boolean): Promise<Snapshot>;
}

export class HeartbeatSender {
  #settings: HeartbeatSettings | null = null;
  #key: Buffer | null = null;
  #timer: NodeJS.Timeout | null = null;
  #tick: Promise<void> | null = null;
  #sockets = new Map<'udp4' | 'udp6', Socket>();
  /**
   * Strictly increasing across agent restarts without a file: it starts from the clock in
   * microseconds and a heartbeat goes out far less often than once a microsecond.
   */
  #seq = Date.now() * 1000;
  /** Amphorae whose heartbeats go without their figures (too large), warned about once. */
  readonly #shedding = new Set<string>();
  /** Per amphora, heartbeats sent since the last one with statuses and statistics. */
  readonly #sinceFigures = new Map<string, number>();
  sent = 0;
  errors = 0;

  constructor(
    private readonly source: HeartbeatSource,
    private readonly log: Logger,
  ) {}

  get settings(): HeartbeatSettings | null {
    return this.#settings;
  }

  status() {
    const s = this.#settings;
    return s ? { key_id: s.key_id, targets: s.targets, interval_ms: s.interval_ms, digest: settingsDigest(s), sent: this.sent, errors: this.errors } : null;
  }

  configure(settings: HeartbeatSettings | null): void {
    this.#settings = settings;
    this.#key = settings ? Buffer.from(settings.key, 'base64') : null;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (settings && settings.targets.length > 0) {
      const tick = () => {
        this.#tick ??= this.beat().finally(() => (this.#tick = null));
      };
      this.#timer = setInterval(tick, settings.interval_ms);
      this.#timer.unref();
      // At once too, not an interval later: an agent that just started (restarted by its
      // watchdog, perhaps again and again) must be heard for every amphora before the health
      // manager, hearing its host through another amphora, takes the rest for dead.
      tick();
    }
  }

  /**
   * One heartbeat of `id` now, between the regular ones: its supervision just saw something
   * (a daemon died, a restart failed), and the health manager should not wait up to an
   * interval to hear that the amphora is down or cannot be healed.
   */
  beatNow(id: string): void {
    const settings = this.#settings;
    const key = this.#key;
    if (!settings || !key || settings.targets.length === 0 || !this.source.ids().includes(id)) return;
    void this.#beatOne(id, settings, key, true);
  }

  /**
   * The heartbeat of `id` with its statistics, sent before the caller goes on: a reload is about
   * to replace the HAProxy worker whose counters since the last heartbeat would be lost with it.
   */
  async beatBefore(id: string): Promise<void> {
    const settings = this.#settings;
    const key = this.#key;
    if (!settings || !key || settings.targets.length === 0) return;
    await this.#beatOne(id, settings, key, true);
  }

  /**
   * One heartbeat per amphora to every target. The amphorae are spread over the first half of
   * the interval in slices, so a host with hundreds of them does not send one burst that
   * overflows a health manager's receive buffer.
   */
  async beat(): Promise<void> {
    const settings = this.#settings;
    const key = this.#key;
    if (!settings || !key) return;
    const ids = this.source.ids();
    if (this.#sinceFigures.size > ids.length) {
      const live = new Set(ids);
      for (const id of this.#sinceFigures.keys()) if (!live.has(id)) this.#sinceFigures.delete(id);
    }
    const slices = Math.min(SLICES, ids.length);
    const size = Math.ceil(ids.length / Math.max(slices, 1));
    // A slice does not wait for the previous one's snapshots: a hung HAProxy delays nobody else.
    const beats: Promise<void>[] = [];
    for (let k = 0; k < slices; k++) {
      if (k > 0) await new Promise((r) => setTimeout(r, settings.interval_ms / 2 / slices));
      // Reconfigured meanwhile: the next tick uses the new settings.
      if (this.#settings !== settings) break;
      for (const id of ids.slice(k * size, (k + 1) * size)) {
        const since = this.#sinceFigures.get(id);
        beats.push(this.#beatOne(id, settings, key, since === undefined || since + 1 >= FIGURES_EVERY_BEATS));
      }
    }
    await Promise.all(beats);
  }

  async #beatOne(id: string, settings: HeartbeatSettings, key: Buffer, figures: boolean): Promise<void> {
    let packet: Buffer;
    try {
      const snap = await this.source.snapshot(id, Math.max(100, Math.floor(settings.interval_ms / 2)), figures);
      // Asked, but a running HAProxy gave none (a reload under way): the next heartbeat asks again.
      const unanswered = snap.running && snap.epoch === null;
      this.#sinceFigures.set(id, !figures ? (this.#sinceFigures.get(id) ?? 0) + 1 : unanswered ? FIGURES_EVERY_BEATS - 1 : 0);
      const heartbeat: Heartbeat = {
        amphora_id: id,
        seq: ++this.#seq,
        ts: Date.now(),
        haproxy: { running: snap.running, epoch: snap.epoch },
        proxies: snap.proxies,
        ...(snap.fault ? { fault: snap.fault } : {}),
        ...(snap.heals === undefined ? {} : { heals: snap.heals }),
      };
      const encoded = encodeFitting(heartbeat, settings.key_id, key);
      packet = encoded.packet;
      // Said once while it lasts, not every interval.
      if (!encoded.figuresShed) this.#shedding.delete(id);
      else if (!this.#shedding.has(id)) {
        this.#shedding.add(id);
        this.log.warn({ amphora_id: id }, 'heartbeat too large with its figures: sent without them, so /metrics misses this amphora');
      }
    } catch (err) {
      this.errors++;
      this.log.warn({ err, amphora_id: id }, 'cannot build the heartbeat');
      return;
    }
    for (const target of settings.targets) this.#send(packet, target.host, target.port);
  }

  #send(packet: Buffer, host: string, port: number): void {
    const family = isIPv6(host) ? 'udp6' : 'udp4';
    let socket = this.#sockets.get(family);
    if (!socket) {
      socket = createSocket(family);
      socket.on('error', (err) => this.log.warn({ err }, 'heartbeat socket error'));
      socket.unref();
      this.#sockets.set(family, socket);
    }
    socket.send(packet, port, host, (err) => {
      if (err) this.errors++;
      else this.sent++;
    });
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#tick;
    for (const socket of this.#sockets.values()) socket.close();
    this.#sockets.clear();
  }
}
