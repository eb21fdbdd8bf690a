// The device scheduler: which host an amphora goes to. Pure, so every rule is tested without a
// database. A host qualifies when it is ENABLED (not DISABLED, not DRAINING), ONLINE, in the
// load balancer's availability zone (a load balancer without one goes anywhere), below its
// capacity, carries every label asked for, and is not excluded. Among those the least loaded
// wins (fewest amphorae, then most room), so a fleet fills evenly. The amphorae of an
// ACTIVE_STANDBY pair never share a host while another qualifies: one host lost would take
// both. A failover's replacement prefers another host than the amphora it replaces. When that cannot be honoured the placement fails and says so; it is not relaxed, since
// a pair on one host looks redundant and is not.

export const ADMIN_STATES = ['ENABLED', 'DISABLED', 'DRAINING'] as const;
export type AdminState = (typeof ADMIN_STATES)[number];
export type OperatingStatus = 'ONLINE' | 'OFFLINE';

export interface HostCandidate {
  id: string;
  name: string;
  availabilityZone: string | null;
  adminState: string;
  operatingStatus: string;
  /** Most amphorae it takes; null: no limit. */
  capacity: number | null;
  labels: Readonly<Record<string, string>>;
  /** Amphorae placed on it now (not deleted). */
  amphoraCount: number;
}

export interface PlacementRequest {
  /** The load balancer's availability zone; null: any host. */
  availabilityZone: string | null;
  /** Labels the host must carry, each with this value. */
  labels?: Readonly<Record<string, string>>;
  /** Hosts of the amphora's pair peers: never the same host while another qualifies. */
  antiAffinity?: readonly string[];
  /** Hosts it must leave (the one being drained, the one it is migrated away from). */
  exclude?: readonly string[];
  /**
   * Hosts to leave when another qualifies (those of the amphorae a failover replaces: the host
   * may be what broke them); unlike `exclude`, a fleet of one host still gets its failover.
   */
  avoid?: readonly string[];
  /** An operator's choice (migrate): only this host, if it qualifies. */
  target?: string | null;
}

/**
 * `transient`: a host that is only OFFLINE would qualify, so the same placement may succeed once
 * it answers again (an agent being restarted); otherwise only an operator's change helps.
 */
export type Placement = { host: HostCandidate } | { fault: string; transient?: boolean };

function offlineWouldQualify(hosts: readonly HostCandidate[], request: PlacementRequest): boolean {
  return hosts.some((h) => h.operatingStatus !== 'ONLINE' && qualifies({ ...h, operatingStatus: 'ONLINE' }, request) && !request.antiAffinity?.includes(h.id));
}

/** Why `host` cannot take the amphora, or null; anti-affinity is judged apart. */
export function refusal(host: HostCandidate, request: PlacementRequest): string | null {
  if (request.exclude?.includes(host.id)) return 'it is the host the amphora leaves';
  if (host.adminState !== 'ENABLED') return `its admin_state is ${host.adminState}`;
  if (host.operatingStatus !== 'ONLINE') return `it is ${host.operatingStatus}`;
  if (request.availabilityZone !== null && host.availabilityZone !== request.availabilityZone) {
    return `it is in availability zone ${host.availabilityZone ?? '(none)'}, not ${request.availabilityZone}`;
  }
  if (host.capacity !== null && host.amphoraCount >= host.capacity) return `it is full (${host.amphoraCount} of ${host.capacity} amphorae)`;
  for (const [key, value] of Object.entries(request.labels ?? {})) {
    if (host.labels[key] !== value) return `it lacks the label ${key}=${value}`;
  }
  return null;
}

/** `refusal(...) === null` without building the reasons: the scheduler's hot path. */
export function qualifies(host: HostCandidate, request: PlacementRequest): boolean {
  if (host.adminState !== 'ENABLED' || host.operatingStatus !== 'ONLINE') return false;
  if (request.availabilityZone !== null && host.availabilityZone !== request.availabilityZone) return false;
  if (host.capacity !== null && host.amphoraCount >= host.capacity) return false;
  if (request.exclude?.includes(host.id)) return false;
  if (request.labels) for (const key in request.labels) if (host.labels[key] !== request.labels[key]) return false;
  return true;
}

/**
 * Fewest amphorae first (each amphora costs a host about the same, docs/dataplane.md §1); among
 * equals, the most room left (no capacity: unlimited room); then by name, so equal hosts are
 * taken in a stable order.
 */
export function byLoad(a: HostCandidate, b: HostCandidate): number {
  const room = (h: HostCandidate) => (h.capacity === null ? Number.POSITIVE_INFINITY : h.capacity - h.amphoraCount);
  const roomOrder = room(a) === room(b) ? 0 : room(a) > room(b) ? -1 : 1;
  return a.amphoraCount - b.amphoraCount || roomOrder || a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}

export function chooseHost(hosts: readonly HostCandidate[], request: PlacementRequest): Placement {
  if (hosts.length === 0) return { fault: 'no host is registered in the inventory' };
  if (request.target) {
    const target = hosts.find((h) => h.id === request.target);
    if (!target) return { fault: `host ${request.target} is not in the inventory` };
    const why = refusal(target, { ...request, exclude: [] });
    if (why) return { fault: `host ${target.name} (${target.id}) cannot take the amphora: ${why}`, transient: target.operatingStatus !== 'ONLINE' };
    if (request.antiAffinity?.includes(target.id)) {
      return { fault: `host ${target.name} (${target.id}) already runs the other amphora of this ACTIVE_STANDBY pair (anti-affinity)` };
    }
    return { host: target };
  }
  const qualified = hosts.filter((h) => qualifies(h, request));
  if (qualified.length === 0) {
    const reasons = hosts.map((h) => `${h.name}: ${refusal(h, request)}`).join('; ');
    return { fault: `no host can take the amphora (${reasons})`, transient: offlineWouldQualify(hosts, request) };
  }
  const apart = qualified.filter((h) => !request.antiAffinity?.includes(h.id));
  if (apart.length === 0) {
    return {
      transient: offlineWouldQualify(hosts, request),
      fault:
        `anti-affinity cannot be honoured: the only host that qualifies (${qualified.map((h) => h.name).join(', ')}) already runs the other amphora of this ACTIVE_STANDBY pair, ` +
        'and two amphorae of a pair on one host would not survive that host; enable or join another host',
    };
  }
  const elsewhere = apart.filter((h) => !request.avoid?.includes(h.id));
  return { host: (elsewhere.length > 0 ? elsewhere : apart).reduce((best, h) => (byLoad(h, best) < 0 ? h : best)) };
}

/**
 * The vendor seam: a provider driver that manages its own devices places amphorae by its own
 * rule instead of `chooseHost`; it gets the same inventory and request.
 */
export type HostChooser = (hosts: readonly HostCandidate[], request: PlacementRequest) => Placement;
