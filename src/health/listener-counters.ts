// Listener statistics from HAProxy's frontend counters. Pure. HAProxy restarts its counters at
// zero with every reload (new worker processes), so the stored totals grow by what was served
// since the last poll, not by the raw value; active connections are a gauge and are replaced.

export interface ListenerCounters {
  bytes_in: number;
  bytes_out: number;
  active_connections: number;
  total_connections: number;
  request_errors: number;
}

const CUMULATIVE = ['bytes_in', 'bytes_out', 'total_connections', 'request_errors'] as const;

/**
 * What to add to the stored totals, given the counters reported now and those reported at the
 * previous poll (`undefined` when this poller has not seen the listener yet: then only a
 * listener with no stored row counts everything HAProxy has served, so that a restarted health
 * manager does not count the same traffic twice).
 */
export function counterIncrement(now: ListenerCounters, previous: ListenerCounters | undefined, stored: boolean): ListenerCounters {
  const increment = { ...now };
  for (const key of CUMULATIVE) {
    if (previous === undefined) increment[key] = stored ? 0 : now[key];
    // A smaller value than last time: HAProxy was reloaded and counts again from zero.
    else increment[key] = now[key] >= previous[key] ? now[key] - previous[key] : now[key];
  }
  return increment;
}
