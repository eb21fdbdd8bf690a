// Housekeeping's bound on the event log: events older than the retention go, with their
// deliveries (the last retry of a delivery is minutes after its event, the retention days).
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';

/** Rows removed per statement, so one purge never holds a long transaction. */
const BATCH = 5000;

export async function purgeEventsOlderThan(db: Db, days: number): Promise<number> {
  let removed = 0;
  for (;;) {
    const result = await sql`
      delete from event where id in (
        select id from event where created_at < now() - make_interval(days => ${days}) order by created_at limit ${BATCH})`.execute(db);
    const n = Number(result.numAffectedRows ?? 0);
    removed += n;
    if (n < BATCH) return removed;
  }
}

export class EventRetention {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly days: number,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    const tick = () => {
      this.#running ??= purgeEventsOlderThan(this.db, this.days)
        .then((removed) => {
          if (removed > 0) this.log.info({ events: removed, retention_days: this.days }, 'old events purged');
        })
        .catch((err) => this.log.warn({ err }, 'event purge failed'))
        .finally(() => (this.#running = null));
    };
    tick();
    this.#timer = setInterval(tick, this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }
}
