// Per-source protection of a listener (docs/dataplane.md §9): request-rate, concurrent
// connection and new-connection-rate limits per client address, and what a client over a limit
// gets. Settings come in layers: the operator's configured defaults, then the flavor's
// `protection` metadata, then what was set on the listener; a later layer's key wins, and null
// means "no limit" rather than "not set". Pure.
import { InvalidInput } from '../errors.ts';

export const PROTECTION_ACTIONS = ['reject', 'tarpit', 'deny_429'] as const;
export type ProtectionAction = (typeof PROTECTION_ACTIONS)[number];

export interface ProtectionSettings {
  /** Requests a second one client address may send (HTTP listeners); null: no limit. */
  requests_per_second_per_source: number | null;
  /** Requests above that rate a client may send within one second before it is refused. */
  burst: number;
  concurrent_connections_per_source: number | null;
  new_connections_per_second_per_source: number | null;
  /** What an HTTP client over its request rate gets; connections over a limit are always rejected. */
  action: ProtectionAction;
}

export type ProtectionOverrides = Partial<ProtectionSettings>;

/** The limits the API accepts; HAProxy's counters are 32-bit, and the global maxconn caps the rest. */
export const PROTECTION_RANGES = {
  requests_per_second_per_source: { min: 1, max: 1_000_000 },
  burst: { min: 0, max: 1_000_000 },
  concurrent_connections_per_source: { min: 1, max: 1_000_000 },
  new_connections_per_second_per_source: { min: 1, max: 1_000_000 },
} as const;

export const PROTECTION_FIELDS = [...Object.keys(PROTECTION_RANGES), 'action'] as (keyof ProtectionSettings)[];

/** No limit at all: what a listener gets when no layer sets anything. */
export const NO_PROTECTION: ProtectionSettings = {
  requests_per_second_per_source: null,
  burst: 0,
  concurrent_connections_per_source: null,
  new_connections_per_second_per_source: null,
  action: 'deny_429',
};

/** Why `value` is not a set of protection settings, or null; `value` is an object of known keys. */
export function protectionProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object';
  for (const [key, v] of Object.entries(value)) {
    if (key === 'action') {
      if (!PROTECTION_ACTIONS.includes(v as ProtectionAction)) return `action must be one of ${PROTECTION_ACTIONS.join(', ')}`;
      continue;
    }
    const range = PROTECTION_RANGES[key as keyof typeof PROTECTION_RANGES];
    if (!range) return `'${key}' is not a protection setting (known: ${PROTECTION_FIELDS.join(', ')})`;
    // burst is a count, not a limit that can be switched off.
    if (v === null && key !== 'burst') continue;
    if (!Number.isInteger(v) || (v as number) < range.min || (v as number) > range.max) {
      return `${key} must be an integer from ${range.min} to ${range.max}${key === 'burst' ? '' : ' or null'}`;
    }
  }
  return null;
}

/** Checked overrides from configuration or flavor metadata; 400 naming `source` when bad. */
export function parseProtection(value: unknown, source: string): ProtectionOverrides {
  const problem = protectionProblem(value);
  if (problem) throw new InvalidInput(`Invalid ${source}: ${problem}.`);
  return value as ProtectionOverrides;
}

/** The settings in force: each layer's keys over the earlier ones'. */
export function effectiveProtection(...layers: (ProtectionOverrides | null | undefined)[]): ProtectionSettings {
  const out: ProtectionSettings = { ...NO_PROTECTION };
  for (const layer of layers) {
    for (const key of PROTECTION_FIELDS) {
      if (layer && key in layer && layer[key] !== undefined) (out as unknown as Record<string, unknown>)[key] = layer[key];
    }
  }
  return out;
}

export function protectionEnabled(s: ProtectionSettings): boolean {
  return s.requests_per_second_per_source !== null || s.concurrent_connections_per_source !== null || s.new_connections_per_second_per_source !== null;
}

const HTTP_PROTOCOLS = new Set(['HTTP', 'TERMINATED_HTTPS']);
const CONNECTION_PROTOCOLS = new Set(['HTTP', 'TERMINATED_HTTPS', 'HTTPS', 'TCP']);

/** Request limits need HTTP requests to count: HTTP and TERMINATED_HTTPS listeners. */
export function countsRequests(protocol: string): boolean {
  return HTTP_PROTOCOLS.has(protocol);
}

/**
 * Refuses what a listener of `protocol` cannot enforce, for settings a caller sets on it
 * explicitly (defaults from configuration or a flavor apply where they can and are skipped
 * elsewhere): UDP and SCTP have no connections to track (HAProxy does not serve them);
 * TCP and TLS-passthrough listeners see no requests.
 */
export function checkProtectionFor(protocol: string, set: ProtectionOverrides): void {
  if (!CONNECTION_PROTOCOLS.has(protocol)) throw new InvalidInput(`Protection settings are not supported on ${protocol} listeners.`);
  if (countsRequests(protocol)) return;
  if (set.requests_per_second_per_source != null) {
    throw new InvalidInput(`requests_per_second_per_source is not supported on ${protocol} listeners: they see connections, not requests.`);
  }
  if (set.action !== undefined && set.action !== 'reject') {
    throw new InvalidInput(`action ${set.action} is not supported on ${protocol} listeners: a connection over a limit is rejected.`);
  }
}

/** What can be enforced on a listener of `protocol` from the settings in force. */
export function enforceableProtection(protocol: string, s: ProtectionSettings): ProtectionSettings {
  if (!CONNECTION_PROTOCOLS.has(protocol)) return { ...NO_PROTECTION };
  if (countsRequests(protocol)) return s;
  return { ...s, requests_per_second_per_source: null, action: 'reject' };
}
