// Circuit breakers for automatic failover, per failure domain. Pure. Many amphorae going
// silent at once more likely means the health managers lost their network than that the
// amphorae all died: failing them all over would replace a working fleet. A domain whose
// silent share reaches its threshold stops automatic failover inside it until heartbeats come
// back, or until an operator resets it (amphorae already silent at the reset may then fail over).

export interface MonitoredAmphora {
  id: string;
  /** The agent that runs it: its host. */
  host: string | null;
  availabilityZone: string | null;
  silent: boolean;
  lastSeen: Date;
}

export interface BreakerPolicy {
  /** Share (0-1] of silent amphorae that opens the breaker; null: no breaker at this level. */
  fleet: number | null;
  az: number | null;
  host: number | null;
  /** Fewer silent amphorae than this never open a breaker. */
  minSilent: number;
}

export interface DomainState {
  domain: string;
  total: number;
  silent: number;
  open: boolean;
  reason: string | null;
}

export const FLEET = 'fleet';

export function domainsOf(a: MonitoredAmphora): { domain: string; level: 'fleet' | 'az' | 'host' }[] {
  return [
    { domain: FLEET, level: 'fleet' },
    ...(a.availabilityZone ? [{ domain: `az:${a.availabilityZone}`, level: 'az' as const }] : []),
    ...(a.host ? [{ domain: `host:${a.host}`, level: 'host' as const }] : []),
  ];
}

export interface BreakerVerdict {
  domains: DomainState[];
  /** Whether automatic failover may replace this silent or broken amphora now. */
  allowed(a: MonitoredAmphora): boolean;
}

/** `resets`: when an operator last reset each domain. */
export function evaluateBreakers(amphorae: MonitoredAmphora[], policy: BreakerPolicy, resets: ReadonlyMap<string, Date>): BreakerVerdict {
  const exempt = (a: MonitoredAmphora, domain: string) => {
    const reset = resets.get(domain);
    return reset !== undefined && a.lastSeen < reset;
  };
  const counts = new Map<string, { level: 'fleet' | 'az' | 'host'; total: number; silent: number }>();
  for (const a of amphorae) {
    for (const { domain, level } of domainsOf(a)) {
      const c = counts.get(domain) ?? { level, total: 0, silent: 0 };
      c.total++;
      if (a.silent && !exempt(a, domain)) c.silent++;
      counts.set(domain, c);
    }
  }
  const domains: DomainState[] = [];
  const open = new Set<string>();
  for (const [domain, c] of counts) {
    const threshold = policy[c.level];
    const tripped = threshold !== null && c.silent >= policy.minSilent && c.silent / c.total >= threshold;
    if (tripped) open.add(domain);
    domains.push({
      domain,
      total: c.total,
      silent: c.silent,
      open: tripped,
      reason: tripped
        ? `${c.silent} of ${c.total} amphorae in ${domain} went silent at once (threshold ${Math.round(threshold * 100)}%, at least ${policy.minSilent}): ` +
          'more likely the health managers lost their network than the amphorae died; automatic failover is stopped here until heartbeats return or an operator resets it'
        : null,
    });
  }
  return {
    domains: domains.sort((a, b) => a.domain.localeCompare(b.domain)),
    allowed: (a) => domainsOf(a).every(({ domain }) => !open.has(domain) || exempt(a, domain)),
  };
}

/**
 * Heartbeats come back one by one after a mass silence, so a breaker closes before the last
 * amphorae are heard again: one silent since before a breaker of its closed (`closedAt`, by
 * domain) gets one more `timeoutMs` to be heard before it may be failed over.
 */
export function inClosingGrace(a: MonitoredAmphora, closedAt: ReadonlyMap<string, Date>, now: Date, timeoutMs: number): boolean {
  return (
    a.silent &&
    domainsOf(a).some(({ domain }) => {
      const closed = closedAt.get(domain);
      return closed !== undefined && a.lastSeen < closed && now.getTime() - closed.getTime() < timeoutMs;
    })
  );
}
