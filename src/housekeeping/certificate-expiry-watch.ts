// Housekeeping's look-out for stored certificates about to expire: one certificate.expiring
// event per certificate and expiry date (a renewed certificate, uploaded as a new one, has
// its own), so the tenant hears of it once, by the event list or a webhook, in time to act.
import type { Db } from '../db/database.ts';
import { certificatesExpiringWithin } from '../certs/certificate-store.ts';
import type { Logger } from '../observability/logger.ts';
import { recordEventNow } from '../observability/events.ts';

const DAY_MS = 86_400_000;

export class CertificateExpiryWatch {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly warnDays: number,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    const tick = () => {
      this.#running ??= this.checkOnce()
        .then((recorded) => {
          if (recorded > 0) this.log.warn({ certificates: recorded }, 'certificates near their expiry');
        })
        .catch((err) => this.log.warn({ err }, 'certificate expiry check failed'))
        .finally(() => (this.#running = null));
    };
    tick();
    this.#timer = setInterval(tick, this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** Records the events not recorded yet; returns how many it recorded. */
  async checkOnce(now = Date.now()): Promise<number> {
    let recorded = 0;
    for (const cert of await certificatesExpiringWithin(this.db, this.warnDays)) {
      if (!cert.expires_at) continue;
      const expires = new Date(cert.expires_at);
      const id = await recordEventNow(this.db, {
        type: 'certificate.expiring',
        projectId: cert.project_id,
        loadBalancerId: null,
        detail: { certificate_id: cert.id, name: cert.name, expires_at: expires.toISOString().replace(/Z$/, ''), days_left: Math.floor((expires.getTime() - now) / DAY_MS) },
        dedupeKey: `certificate.expiring:${cert.id}:${expires.toISOString()}`,
      });
      if (id) recorded++;
    }
    return recorded;
  }
}
