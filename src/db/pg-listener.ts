// A LISTEN connection to PostgreSQL that stays up: when the server drops it (a restart, a
// failover, pg_terminate_backend, a network cut) it reconnects with capped exponential backoff
// and LISTENs again, logging each loss and recovery. Notifications sent while it was down are
// lost, so the listener calls back once after each reconnect: the caller rechecks what it
// may have missed.
import pg from 'pg';

export interface ListenerLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface ListenerOptions {
  connectionString: string;
  channel: string;
  onNotify: (payload: string) => void;
  log?: ListenerLog;
  /** First and longest wait before a reconnect attempt. */
  minDelayMs?: number;
  maxDelayMs?: number;
  connectTimeoutMs?: number;
}

/** The wait before reconnect attempt `attempt` (0-based): doubling from `min`, capped at `max`, with jitter. */
export function reconnectDelay(attempt: number, min: number, max: number, random = Math.random): number {
  const base = Math.min(max, min * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + (random() * base) / 2);
}

export class PgListener {
  readonly #opts: Required<Omit<ListenerOptions, 'log'>> & { log?: ListenerLog };
  #client: pg.Client | null = null;
  #closed = false;
  #timer: NodeJS.Timeout | null = null;
  #attempt = 0;
  /** How many times the connection was lost and LISTEN issued again (for logs and tests). */
  reconnects = 0;

  constructor(options: ListenerOptions) {
    this.#opts = { minDelayMs: 100, maxDelayMs: 10_000, connectTimeoutMs: 10_000, ...options };
  }

  /** Connects and LISTENs; the first connection's failure is the caller's to see. */
  async start(): Promise<void> {
    await this.#connect();
  }

  async #connect(): Promise<void> {
    const { connectionString, channel, connectTimeoutMs } = this.#opts;
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: connectTimeoutMs });
    // One handler for a lost connection however it is reported ('error' then 'end', or 'end' alone).
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (this.#client === client) this.#client = null;
      client.end().catch(() => {});
      if (!this.#closed) this.#lost(err);
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (msg) => {
      if (msg.channel === channel) this.#opts.onNotify(msg.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      lost = true;
      await client.end().catch(() => {});
      throw err;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
  }

  #lost(err?: Error): void {
    this.#opts.log?.warn({ channel: this.#opts.channel, err: err?.message }, 'database LISTEN connection lost; reconnecting');
    this.#schedule();
  }

  #schedule(): void {
    const delay = reconnectDelay(this.#attempt++, this.#opts.minDelayMs, this.#opts.maxDelayMs);
    this.#timer = setTimeout(() => void this.#retry(), delay);
  }

  async #retry(): Promise<void> {
    this.#timer = null;
    if (this.#closed) return;
    try {
      await this.#connect();
    } catch (err) {
      this.#opts.log?.warn({ channel: this.#opts.channel, attempt: this.#attempt, err: (err as Error).message }, 'database LISTEN reconnect failed; retrying');
      if (!this.#closed) this.#schedule();
      return;
    }
    if (this.#closed) return;
    this.reconnects++;
    this.#opts.log?.info({ channel: this.#opts.channel, attempts: this.#attempt }, 'database LISTEN connection re-established');
    this.#attempt = 0;
    this.#opts.onNotify('');
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }
}
