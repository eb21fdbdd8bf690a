// The health manager's UDP socket: every datagram is checked (size, key, MAC, body, time
// window, sequence, the key's agent running the amphora, rate) synchronously and either
// handed on or dropped and counted by reason. Nothing a sender does reaches an exception
// outside this file; what the checks need from the database is refreshed in the background,
// at most once a second, so a flood of unknown keys cannot become a flood of queries.
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../observability/logger.ts';
import { heartbeatsAccepted, heartbeatsReceived, heartbeatsRejected } from '../observability/metrics.ts';
import { HeartbeatRejected, openHeartbeat, type Heartbeat, type RejectReason } from '../agent/heartbeat-codec.ts';
import type { AgentKey, KnownAmphora } from './heartbeat-auth-store.ts';

export interface ReceiverDirectory {
  keys(): Promise<Map<string, AgentKey>>;
  amphorae(): Promise<Map<string, KnownAmphora>>;
}

export interface ReceiverOptions {
  /** How far a heartbeat's timestamp may be from this clock. */
  windowMs: number;
  /** Accepted heartbeats per amphora per second, at most (a sender gone wild). */
  maxPerSecond: number;
}

export type ReceiverCounters = { received: number; accepted: number } & Record<RejectReason, number>;

const REFRESH_MS = 1000;
const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

export class HeartbeatReceiver {
  #socket: Socket | null = null;
  #keys = new Map<string, AgentKey>();
  #amphorae = new Map<string, KnownAmphora>();
  /** Highest sequence accepted per amphora (this process, or any manager before it started). */
  readonly #lastSeq = new Map<string, number>();
  readonly #rate = new Map<string, { second: number; count: number }>();
  #refreshedAt = 0;
  #refreshing: Promise<void> | null = null;
  readonly counters: ReceiverCounters = {
    received: 0,
    accepted: 0,
    truncated: 0,
    oversized: 0,
    bad_magic: 0,
    unknown_key: 0,
    bad_mac: 0,
    bad_body: 0,
    stale: 0,
    replayed: 0,
    rate_limited: 0,
    wrong_agent: 0,
  };

  constructor(
    private readonly directory: ReceiverDirectory,
    private readonly onHeartbeat: (heartbeat: Heartbeat) => void,
    private readonly options: ReceiverOptions,
    private readonly log: Logger,
  ) {}

  /** Loads keys and sequences, then listens; returns the bound port. */
  async listen(host: string, port: number): Promise<number> {
    await this.refresh();
    // Room for a few seconds of a large fleet's heartbeats while the event loop is busy (the
    // kernel caps it at net.core.rmem_max).
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: RECV_BUFFER_BYTES });
    socket.on('message', (packet) => this.handle(packet, Date.now()));
    socket.on('error', (err) => this.log.error({ err }, 'heartbeat socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.#socket = socket;
    return socket.address().port;
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
    await this.#refreshing;
  }

  /** Checks one datagram; returns the reason it was dropped, or null when it was accepted. */
  handle(packet: Buffer, now: number): RejectReason | null {
    this.counters.received++;
    heartbeatsReceived().inc();
    try {
      const { keyId, heartbeat } = openHeartbeat(packet, (id) => this.#keys.get(id)?.key, now, this.options.windowMs);
      const id = heartbeat.amphora_id;
      const known = this.#amphorae.get(id);
      // An agent signs for the amphorae it runs, not for another host's.
      if (!known || known.agentUrl !== this.#keys.get(keyId)?.agentUrl) throw new HeartbeatRejected('wrong_agent', `amphora ${id}`);
      if (heartbeat.seq <= (this.#lastSeq.get(id) ?? known.lastSeq)) throw new HeartbeatRejected('replayed', `amphora ${id} sequence ${heartbeat.seq}`);
      const second = Math.floor(now / 1000);
      const rate = this.#rate.get(id);
      if (rate && rate.second === second && rate.count >= this.options.maxPerSecond) throw new HeartbeatRejected('rate_limited', `amphora ${id}`);
      if (rate && rate.second === second) rate.count++;
      else this.#rate.set(id, { second, count: 1 });
      this.#lastSeq.set(id, heartbeat.seq);
      this.counters.accepted++;
      heartbeatsAccepted().inc();
      this.onHeartbeat(heartbeat);
      return null;
    } catch (err) {
      const reason: RejectReason = err instanceof HeartbeatRejected ? err.reason : 'bad_body';
      this.counters[reason]++;
      heartbeatsRejected().inc({ reason });
      // A key or amphora this process has not loaded yet (a new agent, a new amphora).
      if (reason === 'unknown_key' || reason === 'wrong_agent') this.#refreshSoon(now);
      if (!(err instanceof HeartbeatRejected)) this.log.warn({ err }, 'heartbeat handling failed');
      return reason;
    }
  }

  #refreshSoon(now: number): void {
    if (this.#refreshing || now - this.#refreshedAt < REFRESH_MS) return;
    this.#refreshedAt = now;
    this.#refreshing = this.refresh()
      .catch((err) => this.log.warn({ err }, 'cannot load heartbeat keys'))
      .finally(() => (this.#refreshing = null));
  }

  async refresh(): Promise<void> {
    const [keys, amphorae] = await Promise.all([this.directory.keys(), this.directory.amphorae()]);
    this.#keys = keys;
    this.#amphorae = amphorae;
    for (const id of this.#lastSeq.keys()) if (!amphorae.has(id)) this.#lastSeq.delete(id);
    for (const id of this.#rate.keys()) if (!amphorae.has(id)) this.#rate.delete(id);
  }
}
