// Listener statistics from HAProxy's frontend counters. Pure. HAProxy counts from zero in
// every new worker (each reload), so counters are kept per worker (epoch): the stored totals
// grow by how much a counter rose within its epoch since it was last stored, which is the
// same whichever health manager sees a heartbeat, and zero for a heartbeat seen twice or late.
// Active connections are a gauge and are replaced.

export interface ListenerCounters {
  bytes_in: number;
  bytes_out: number;
  active_connections: number;
  total_connections: number;
  request_errors: number;
  /** Connections HAProxy refused: outside allowed_cidrs, over a per-source connection limit. */
  refused_connections: number;
  /** Requests HAProxy refused: over a per-source request rate, L7 REJECT policies. */
  refused_requests: number;
}

export type CumulativeCounters = Omit<ListenerCounters, 'active_connections'>;

export const CUMULATIVE = ['bytes_in', 'bytes_out', 'total_connections', 'request_errors', 'refused_connections', 'refused_requests'] as const;

/** A heartbeat frontend's counter array as named counters (refusals zero from older agents). */
export function namedCounters(c: readonly number[]): ListenerCounters {
  const [bytes_in, bytes_out, active_connections, total_connections, request_errors, refused_connections = 0, refused_requests = 0] = c;
  return { bytes_in, bytes_out, active_connections, total_connections, request_errors, refused_connections, refused_requests };
}

/**
 * `stored`: the epoch's counters as last stored (all zero for an epoch seen for the first
 * time, so all it served counts). Returns what to add to the totals and what to store.
 */
export function epochIncrement(reported: CumulativeCounters, stored: CumulativeCounters): { increment: CumulativeCounters; stored: CumulativeCounters } {
  const increment = { ...reported };
  const next = { ...reported };
  for (const key of CUMULATIVE) {
    increment[key] = Math.max(reported[key] - stored[key], 0);
    next[key] = Math.max(reported[key], stored[key]);
  }
  return { increment, stored: next };
}
