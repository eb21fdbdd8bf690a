// Why an amphora should be failed over, if it should, from what the database says of it. Pure.
// Silence and a broken data plane wait out the heartbeat timeout (the agent may heal it, a
// heartbeat may be late); an amphora whose own agent said it cannot bring HAProxy back is
// failed over at once, since waiting would only lengthen the outage. The circuit breakers, the
// one-failover-per-amphora rule and the rate limit apply to all three alike (health-manager.ts).

export interface FailoverEvidence {
  /** No heartbeat within the timeout. */
  silent: boolean;
  /** HAProxy reported not running for longer than the timeout. */
  broken: boolean;
  /** The agent reported a fault it cannot heal (HAProxy down for good, or out of its reach). */
  unhealable: boolean;
  fault: string | null;
  lb_status: string;
  last_seen: Date;
  /** Never sent a heartbeat; `last_seen` is when its (now OFFLINE) host was last heard. */
  never_heard?: boolean;
}

export type FailoverCause = { kind: 'silent' | 'broken' | 'unhealable'; reason: string };

export function failoverCause(e: FailoverEvidence, timeoutMs: number): FailoverCause | null {
  // A flow at work on the load balancer owns it; its failover would collide.
  if (e.lb_status !== 'ACTIVE') return null;
  if (e.silent && e.never_heard) return { kind: 'silent', reason: `automatic failover: never heard from, and its host is OFFLINE since ${e.last_seen.toISOString()}` };
  if (e.silent) return { kind: 'silent', reason: `automatic failover: no heartbeat since ${e.last_seen.toISOString()} (timeout ${timeoutMs} ms)` };
  if (e.unhealable && e.fault === 'keepalived_gave_up') return { kind: 'unhealable', reason: 'automatic failover: its agent gave up restarting keepalived, so the pair has no standby' };
  if (e.unhealable) return { kind: 'unhealable', reason: `automatic failover: its agent cannot restart or reach HAProxy (${e.fault ?? 'no reason given'})` };
  if (e.broken) return { kind: 'broken', reason: `automatic failover: HAProxy reported not running for more than ${timeoutMs} ms and not restarted` };
  return null;
}
