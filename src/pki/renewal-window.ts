// When a certificate is renewed, and when a renewal that keeps failing becomes urgent. Pure:
// the local agent's renewal (src/compute/agent-cert-renewal.ts) renews a fixed time before
// expiry; a joined host's (src/housekeeping/host-cert-renewal.ts) in the last share of its
// certificate's lifetime, so a short-lived certificate is renewed as surely as a yearly one.

export interface CertificateValidity {
  notBefore: Date;
  notAfter: Date;
}

/** Whether a certificate valid until `notAfter` is renewed at `now`, with `renewBeforeMs` left or less. */
export function renewalDue(notAfter: Date, now: Date, renewBeforeMs: number): boolean {
  return notAfter.getTime() - now.getTime() < renewBeforeMs;
}

/** The last `share` (0 < share < 1) of the certificate's lifetime, in milliseconds. */
export function lifetimeShareMs(validity: CertificateValidity, share: number): number {
  return Math.max(0, validity.notAfter.getTime() - validity.notBefore.getTime()) * share;
}

/** Whether the certificate is in the last `share` of its lifetime at `now` (or expired). */
export function renewalDueByLifetime(validity: CertificateValidity, now: Date, share: number): boolean {
  return renewalDue(validity.notAfter, now, lifetimeShareMs(validity, share));
}

/**
 * Whether a renewal still not done at `now` is urgent enough to alert on: a quarter of the
 * renewal window or less is left, so the retries have had three quarters of it and failed.
 */
export function renewalUrgent(validity: CertificateValidity, now: Date, share: number): boolean {
  return renewalDue(validity.notAfter, now, lifetimeShareMs(validity, share) / 4);
}
