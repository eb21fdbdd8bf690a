// Keeps FULCRUM_SPARE_POOL_SIZE booted spare amphorae per availability zone, so creates and
// failovers skip the boot. Any number of keepers may run (every `serve`, every `housekeeping`
// process): the reservation of missing spares is serialised in the database.
import type { Logger } from '../observability/logger.ts';
import { destroyAmphora, type LifecycleDeps } from '../providers/amphora/amphora-lifecycle.ts';
import { bootSpare, reserveSpares, spareZones, staleSpares } from '../providers/amphora/spare-pool.ts';

/** A spare still booting after this long was left by a filler that died: it is removed. */
const STALE_BOOT_MS = 10 * 60_000;

export class SparePoolKeeper {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(
    private readonly deps: Pick<LifecycleDeps, 'db' | 'dataPlane'>,
    private readonly size: number,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    const tick = () => {
      this.#running ??= this.fillOnce()
        .then((booted) => {
          if (booted > 0) this.log.info({ booted }, 'spare pool refilled');
        })
        .catch((err) => this.log.warn({ err }, 'spare pool refill failed'))
        .finally(() => (this.#running = null));
    };
    tick();
    this.#timer = setInterval(tick, this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** Boots the spares every zone lacks; returns how many became READY. */
  async fillOnce(): Promise<number> {
    const { db } = this.deps;
    for (const id of await staleSpares(db, STALE_BOOT_MS)) await destroyAmphora(this.deps, id, { agentMayBeGone: true });
    const compute = (await this.deps.dataPlane.compute()).name;
    let booted = 0;
    for (const zone of await spareZones(db)) {
      for (const id of await reserveSpares(db, compute, zone, this.size)) {
        try {
          await bootSpare(this.deps, id);
          booted++;
        } catch (err) {
          this.log.warn({ err, amphora_id: id, zone }, 'spare amphora did not boot; removing it');
          await destroyAmphora(this.deps, id, { agentMayBeGone: true }).catch(() => {});
        }
      }
    }
    return booted;
  }
}
