// A whole host gone quiet is one event, not many amphora failures. Pure.
//
// Every amphora's heartbeat comes from its host's agent, so when the agent stops (killed and
// being restarted by its watchdog, a host rebooting) every amphora of that host goes silent
// together, and their HAProxy processes usually keep serving or come back with the agent. A
// failover then cannot help, since the replacement needs a working agent too: it would fail,
// burn its attempts and leave the load balancer in ERROR. So an amphora is failed over for
// silence alone only while its host is still heard (its agent sends for other amphorae); when
// the host as a whole is quiet, its amphorae wait a grace period for the agent to come back,
// counted from when the host was last heard, and are failed over only after it.
//
// The agent sends each amphora's heartbeat once per interval, so on a live host some amphora is
// heard within about one interval; an amphora turns silent a full timeout after its last
// heartbeat, when its host, if dead, has been quiet for nearly as long. The quiet threshold sits
// between the two, so the first amphora of a dead host to cross the timeout already sees its
// host quiet (the amphorae of a dead host cross the timeout one by one over one interval).

export interface HostSilenceSettings {
  intervalMs: number;
  timeoutMs: number;
  /** How long a quiet host's amphorae wait for it, after the heartbeat timeout, before failover. */
  graceMs: number;
}

export interface HeardAmphora {
  id: string;
  /** The agent that sends its heartbeats (its host); null: not known, judged alone. */
  host: string | null;
  silent: boolean;
  /** When it was last heard (ms since the epoch). */
  lastHeardMs: number;
}

export interface QuietHost {
  host: string;
  /** When any amphora of the host was last heard. */
  lastHeardMs: number;
  amphorae: number;
  /** Until then its silent amphorae are not failed over. */
  graceEndsMs: number;
}

/** How long a host must have sent nothing to count as quiet. */
export function hostQuietMs(s: Pick<HostSilenceSettings, 'intervalMs' | 'timeoutMs'>): number {
  return (s.timeoutMs + s.intervalMs) / 2;
}

/**
 * The hosts none of whose amphorae was heard within the quiet threshold. `listeningSinceMs`:
 * since when this manager could have heard them. The grace counts from then at the earliest, so
 * a controller started again after an outage (a power loss that took the agents too) gives the
 * hosts their grace to come back, rather than finding it spent during its own absence.
 */
export function quietHosts(amphorae: HeardAmphora[], nowMs: number, s: HostSilenceSettings, listeningSinceMs = 0): Map<string, QuietHost> {
  const latest = new Map<string, { lastHeardMs: number; amphorae: number }>();
  for (const a of amphorae) {
    if (a.host === null) continue;
    const h = latest.get(a.host) ?? { lastHeardMs: 0, amphorae: 0 };
    h.lastHeardMs = Math.max(h.lastHeardMs, a.lastHeardMs);
    h.amphorae++;
    latest.set(a.host, h);
  }
  const quiet = new Map<string, QuietHost>();
  for (const [host, h] of latest) {
    if (nowMs - h.lastHeardMs < hostQuietMs(s)) continue;
    const from = Math.max(h.lastHeardMs, listeningSinceMs);
    quiet.set(host, { host, lastHeardMs: h.lastHeardMs, amphorae: h.amphorae, graceEndsMs: from + s.timeoutMs + s.graceMs });
  }
  return quiet;
}

/** A silent amphora whose whole host is quiet and still within its grace: not failed over yet. */
export function waitsForHost(a: HeardAmphora, quiet: ReadonlyMap<string, QuietHost>, nowMs: number): boolean {
  if (!a.silent || a.host === null) return false;
  const host = quiet.get(a.host);
  return host !== undefined && nowMs < host.graceEndsMs;
}

/**
 * A silent amphora of a host heard again after it was quiet. The first heartbeat of a returning
 * agent is for one amphora (the one whose HAProxy it restarted first, sent at once); the others
 * follow within an interval or so. Each is given a heartbeat timeout from the host's return
 * before its own silence counts, instead of being failed over in the moment between the two.
 */
export function waitsAfterReturn(a: HeardAmphora, returnedAtMs: number | undefined, nowMs: number, s: Pick<HostSilenceSettings, 'timeoutMs'>): boolean {
  return a.silent && a.host !== null && returnedAtMs !== undefined && nowMs < returnedAtMs + s.timeoutMs;
}
