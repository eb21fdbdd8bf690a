// What a failover drill's prober saw, reduced to the figures an operator reads. Pure.
//
// Outage follows the definition of the data-plane measurements: from the last successful
// response before the failures (or the kill, when that came later) to the first successful
// response to a request sent after the last failure. Successes in between (a flapping VIP)
// stay inside the outage.

export interface ProbeSample {
  /** Milliseconds on one monotonic clock: when the probe was sent and when it finished. */
  sentMs: number;
  doneMs: number;
  ok: boolean;
}

export interface DrillOutcome {
  /** null when the prober never got an answer again (not recovered). */
  outageMs: number | null;
  /** Probes that failed (refused, reset, timed out, HTTP 5xx) and finished after the kill. */
  failedRequests: number;
  /** Probes finished after the kill. */
  probes: number;
  recovered: boolean;
  /** From the kill to the first success after the last failure. */
  recoveredAfterMs: number | null;
}

export function drillOutcome(samples: readonly ProbeSample[], killedAtMs: number): DrillOutcome {
  const after = samples.filter((s) => s.doneMs >= killedAtMs);
  const failures = after.filter((s) => !s.ok);
  if (failures.length === 0) {
    const served = after.length > 0;
    return { outageMs: served ? 0 : null, failedRequests: 0, probes: after.length, recovered: served, recoveredAfterMs: served ? 0 : null };
  }
  const firstFailure = Math.min(...failures.map((s) => s.doneMs));
  const lastFailureSent = Math.max(...failures.map((s) => s.sentMs));
  const oks = samples.filter((s) => s.ok);
  const lastOkBefore = Math.max(killedAtMs, ...oks.filter((s) => s.doneMs <= firstFailure).map((s) => s.doneMs));
  const firstOkAfter = oks.filter((s) => s.sentMs > lastFailureSent).reduce<number | null>((min, s) => (min === null || s.doneMs < min ? s.doneMs : min), null);
  return {
    outageMs: firstOkAfter === null ? null : Math.round(firstOkAfter - lastOkBefore),
    failedRequests: failures.length,
    probes: after.length,
    recovered: firstOkAfter !== null,
    recoveredAfterMs: firstOkAfter === null ? null : Math.round(firstOkAfter - killedAtMs),
  };
}

/**
 * Whether the drill has seen enough: `settleMs` of nothing but successes, at least
 * `minObserveMs` after the kill (a VRRP takeover starts failing only when clients notice).
 */
export function drillSettled(samples: readonly ProbeSample[], killedAtMs: number, nowMs: number, options: { minObserveMs: number; settleMs: number }): boolean {
  if (nowMs - killedAtMs < options.minObserveMs) return false;
  const recent = samples.filter((s) => s.doneMs >= nowMs - options.settleMs);
  return recent.length > 0 && recent.every((s) => s.ok) && samples.some((s) => s.ok && s.doneMs >= killedAtMs);
}
