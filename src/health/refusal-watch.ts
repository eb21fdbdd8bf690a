// When a listener starts (and stops) refusing clients at a high rate, from the refusal counters
// its amphorae's heartbeats carry (docs/dataplane.md §9). Pure: the caller feeds it each
// heartbeat's cumulative counts and acts on the transitions (today a log line; the event an
// operator subscribes to). The counts are per HAProxy worker, so a new epoch starts from its
// own zero; a rate needs two reports of one epoch.

export interface RefusalReport {
  listenerId: string;
  amphoraId: string;
  epoch: string;
  /** refused_connections + refused_requests since the worker started. */
  refused: number;
  atMs: number;
}

export interface RefusalTransition {
  listenerId: string;
  amphoraId: string;
  state: 'started' | 'stopped';
  perSecond: number;
}

/** Refusals a second from which a listener counts as under attack; it calms below half of it. */
export const DEFAULT_REFUSALS_PER_SECOND = 50;

export class RefusalWatch {
  readonly #last = new Map<string, { epoch: string; refused: number; atMs: number }>();
  readonly #refusing = new Set<string>();

  constructor(private readonly threshold = DEFAULT_REFUSALS_PER_SECOND) {}

  observe(r: RefusalReport): RefusalTransition | null {
    const key = `${r.listenerId}/${r.amphoraId}`;
    const last = this.#last.get(key);
    this.#last.set(key, { epoch: r.epoch, refused: r.refused, atMs: r.atMs });
    if (!last || last.epoch !== r.epoch || r.atMs <= last.atMs) return null;
    const perSecond = (Math.max(r.refused - last.refused, 0) * 1000) / (r.atMs - last.atMs);
    const refusing = this.#refusing.has(key);
    if (!refusing && perSecond >= this.threshold) {
      this.#refusing.add(key);
      return { listenerId: r.listenerId, amphoraId: r.amphoraId, state: 'started', perSecond };
    }
    if (refusing && perSecond < this.threshold / 2) {
      this.#refusing.delete(key);
      return { listenerId: r.listenerId, amphoraId: r.amphoraId, state: 'stopped', perSecond };
    }
    return null;
  }
}
