// What this process's webhook deliveries came to, since it started: plain counters, so that
// the metrics endpoint can expose them as Prometheus counters without the delivery code
// knowing about it.
export interface WebhookDeliveryCounts {
  /** Deliveries the receiver answered with a 2xx. */
  delivered: number;
  /** Attempts that failed (connection refused, timeout, a non-2xx answer); each is retried or dead-lettered. */
  failedAttempts: number;
  /** Deliveries given up on after the last attempt. */
  deadLettered: number;
}

export function newDeliveryCounts(): WebhookDeliveryCounts {
  return { delivered: 0, failedAttempts: 0, deadLettered: 0 };
}
