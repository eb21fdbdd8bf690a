// Quotas (docs/octavia-compatibility.md §5.9), pure: the resources that have one, effective values (a stored null
// means the deployment default), the deprecated API aliases, and the over-quota decision.
import { ConfigError } from '../errors.ts';

export const QUOTA_RESOURCES = ['loadbalancer', 'listener', 'pool', 'healthmonitor', 'member', 'l7policy', 'l7rule'] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** -1 is unlimited. */
export type QuotaLimits = Record<QuotaResource, number>;
/** As stored per project: null means "use the deployment default". */
export type StoredQuota = Record<QuotaResource, number | null>;
/** How many objects of each kind one request creates. */
export type QuotaRequest = Partial<Record<QuotaResource, number>>;

export const QUOTA_MIN = -1;
export const QUOTA_MAX = 2_000_000_000;
export const UNLIMITED = -1;

export const UNLIMITED_DEFAULTS: QuotaLimits = Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, UNLIMITED])) as QuotaLimits;

/** Older spellings, accepted on PUT and echoed in responses next to the canonical names. */
export const DEPRECATED_ALIASES = { load_balancer: 'loadbalancer', health_monitor: 'healthmonitor' } as const;

/** As Octavia names the object in "Quota has been met for resources: …". */
export const QUOTA_DISPLAY_NAMES: Record<QuotaResource, string> = {
  loadbalancer: 'Load Balancer',
  listener: 'Listener',
  pool: 'Pool',
  healthmonitor: 'Health Monitor',
  member: 'Member',
  l7policy: 'L7 Policy',
  l7rule: 'L7 Rule',
};

export function effectiveQuota(stored: Partial<StoredQuota> | null | undefined, defaults: QuotaLimits): QuotaLimits {
  const out = { ...defaults };
  for (const r of QUOTA_RESOURCES) {
    const v = stored?.[r];
    if (v !== null && v !== undefined) out[r] = v;
  }
  return out;
}

/**
 * The columns a quota PUT body sets. Absent fields stay as they are, null resets one to the
 * default; when both a canonical name and its deprecated alias are given, the canonical wins.
 */
export function quotaChanges(body: Record<string, number | null | undefined>): Partial<StoredQuota> {
  const changes: Partial<StoredQuota> = {};
  for (const [alias, canonical] of Object.entries(DEPRECATED_ALIASES)) {
    if (body[alias] !== undefined) changes[canonical] = body[alias];
  }
  for (const r of QUOTA_RESOURCES) if (body[r] !== undefined) changes[r] = body[r];
  return changes;
}

/** A quota object with the deprecated aliases mirrored, for responses. */
export function withAliases<T extends StoredQuota | QuotaLimits>(quota: T): T & { load_balancer: T['loadbalancer']; health_monitor: T['healthmonitor'] } {
  return { ...quota, load_balancer: quota.loadbalancer, health_monitor: quota.healthmonitor };
}

/** The resources whose limit `request` would pass, given what is in use. */
export function exceededResources(limits: QuotaLimits, inUse: Partial<Record<QuotaResource, number>>, request: QuotaRequest): QuotaResource[] {
  return QUOTA_RESOURCES.filter((r) => {
    const wanted = request[r] ?? 0;
    if (wanted <= 0 || limits[r] === UNLIMITED) return false;
    return (inUse[r] ?? 0) + wanted > limits[r];
  });
}

/** Resources of `request` whose limit is not unlimited (the only ones worth counting). */
export function limitedResources(limits: QuotaLimits, request: QuotaRequest): QuotaResource[] {
  return QUOTA_RESOURCES.filter((r) => (request[r] ?? 0) > 0 && limits[r] !== UNLIMITED);
}

/**
 * Deployment defaults from configuration: a JSON object (or its text) such as
 * `{"loadbalancer": 10, "member": 200}`; resources not named stay unlimited.
 */
export function parseQuotaDefaults(raw: unknown, name = 'FULCRUM_QUOTA_DEFAULTS'): QuotaLimits {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ConfigError(`${name} must be a JSON object such as {"loadbalancer": 10}, got ${JSON.stringify(raw)}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${name} must be a JSON object such as {"loadbalancer": 10}`);
  }
  const out = { ...UNLIMITED_DEFAULTS };
  for (const [key, v] of Object.entries(value)) {
    const resource = (Object.hasOwn(DEPRECATED_ALIASES, key) ? DEPRECATED_ALIASES[key as keyof typeof DEPRECATED_ALIASES] : key) as QuotaResource;
    if (!QUOTA_RESOURCES.includes(resource)) {
      throw new ConfigError(`${name}: unknown resource ${JSON.stringify(key)} (one of ${QUOTA_RESOURCES.join(', ')})`);
    }
    if (!Number.isInteger(v) || (v as number) < QUOTA_MIN || (v as number) > QUOTA_MAX) {
      throw new ConfigError(`${name}: ${key} must be an integer from ${QUOTA_MIN} to ${QUOTA_MAX}, got ${JSON.stringify(v)}`);
    }
    out[resource] = v as number;
  }
  return out;
}
