// When to restart a daemon that died on its own, and when to stop trying. Pure: the caller
// passes the clock. A daemon that dies now and then is restarted at once; one that keeps dying
// is restarted with growing delays, and after `limit` crashes within `windowMs` it is left down
// and reported (a configuration that kills haproxy on every start must not become a fork loop).

export interface RestartPolicyOptions {
  /** Delay before the n-th restart within the window (the last entry repeats). */
  delaysMs: number[];
  /** Crashes within the window after which the daemon is left down. */
  limit: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  delaysMs: [0, 100, 250, 500, 1000, 2000],
  limit: 5,
  windowMs: 60_000,
};

export type RestartDecision = { action: 'restart'; delayMs: number; attempt: number } | { action: 'give_up'; crashes: number };

export class RestartPolicy {
  private crashes: number[] = [];

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {
    if (options.delaysMs.length === 0) throw new Error('a restart policy needs at least one delay');
  }

  /** Crashes counted in the current window. */
  get recentCrashes(): number {
    return this.crashes.length;
  }

  /** Records a crash (an unexpected exit, or a restart that failed) at `now` and decides. */
  onCrash(now: number): RestartDecision {
    this.crashes = this.crashes.filter((t) => now - t < this.options.windowMs);
    this.crashes.push(now);
    const n = this.crashes.length;
    if (n > this.options.limit) return { action: 'give_up', crashes: n };
    const { delaysMs } = this.options;
    return { action: 'restart', delayMs: delaysMs[Math.min(n - 1, delaysMs.length - 1)], attempt: n };
  }

  /** A configuration applied by the controller, or a deliberate stop: the history starts over. */
  reset(): void {
    this.crashes = [];
  }
}
