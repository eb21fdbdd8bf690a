// One typed configuration object, read from an optional JSON file and then from
// FULCRUM_* environment variables (which win), validated once at start.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError } from './errors.ts';
import { parseQuotaDefaults, UNLIMITED_DEFAULTS, type QuotaLimits } from './model/quota.ts';
import { POLICY_PROFILES, type PolicyProfile } from './auth/policy-defaults.ts';
import { protectionProblem, type ProtectionOverrides } from './model/protection.ts';
import { DEFAULT_DENIED_CIDRS, parseCidrList } from './model/webhook-addresses.ts';
import { hostNameOfMachine, isHostName } from './model/host-name.ts';

export interface FulcrumConfig {
  apiHost: string;
  apiPort: number;
  dataDir: string;
  /** `postgres://…` selects PostgreSQL; absent means the embedded database in dataDir. */
  databaseUrl: string | null;
  /** Who the caller is: `noauth` (everyone is an administrator), `keystone` tokens, or Fulcrum's own `apikey`s. */
  authStrategy: 'noauth' | 'keystone' | 'apikey';
  /** The policy rules to start from: Octavia's defaults or one of its two opt-in alternatives. */
  policyProfile: PolicyProfile;
  /** A YAML or JSON file of policy rules overriding the profile's (like Octavia's policy.yaml). */
  policyFile: string | null;
  enabledProviders: string[];
  defaultProvider: string;
  /** Per-project limits for projects without their own (JSON object; -1 = unlimited, the default). */
  quotaDefaults: QuotaLimits;
  /** Amphora topology of load balancers whose flavor does not choose one. */
  defaultTopology: 'SINGLE' | 'ACTIVE_STANDBY';
  /** `local`: VIPs from Fulcrum's own subnets; `noop`: any UUID is a subnet (API-only deployments). */
  networkDriver: 'local' | 'noop';
  /**
   * Where amphorae run: `process` (local HAProxy processes, no root), `netns` (a namespace each)
   * or `noop` (database rows only: every amphora flow runs, nothing is started).
   */
  computeDriver: 'process' | 'netns' | 'noop';
  /**
   * The port of this host's amphora agent (it listens on 127.0.0.1). Null: the port recorded in
   * the data dir, else 9443 when no other Fulcrum's agent holds it, else one the kernel picks.
   */
  localAgentPort: number | null;
  /** How often the controller checks that its host's agent runs, to start it again; 0: never (a service manager keeps it). */
  localAgentWatchMs: number;
  /**
   * The inventory host this controller's own agent is registered as: one row per machine, shared
   * by the processes of one data dir. Default: the machine's name.
   */
  hostName: string;
  /** netns driver: name prefix of namespaces and links, and the bridge's address (CIDR) if any. */
  netnsPrefix: string;
  netnsBridgeAddress: string | null;
  /** How often the health manager writes what heartbeats reported (statuses, statistics, liveness), in one batch. */
  healthPollMs: number;
  /** Booted spare amphorae kept per availability zone for creates and failovers (0: no pool). */
  sparePoolSize: number;
  /** How often housekeeping tops the spare pool up. */
  sparePoolCheckMs: number;
  /** Where the health manager takes heartbeats (UDP); port 0 picks a free one. */
  healthBindHost: string;
  healthPort: number;
  /** The address agents send heartbeats to; the bind address when null. */
  healthAdvertiseHost: string | null;
  /** How often each agent sends each amphora's heartbeat. */
  heartbeatIntervalMs: number;
  /** An amphora silent this long, or reporting HAProxy down this long, is failed over. */
  heartbeatTimeoutMs: number;
  /** Whether the health manager starts failovers by itself. */
  autoFailover: boolean;
  /** Automatic failovers queued or running at once, at most. */
  failoverMaxConcurrent: number;
  /**
   * Circuit breakers: automatic failover stops in a failure domain where at least this share
   * of the amphorae (0-1; null: no breaker) is silent at once, and at least
   * `breakerMinSilent` of them.
   */
  breakerFleet: number | null;
  breakerAz: number | null;
  breakerHost: number | null;
  breakerMinSilent: number;
  paginationMaxLimit: number;
  /** Base URL put into pagination links and the version document; the request's own when null. */
  apiBaseUri: string | null;
  workerConcurrency: number;
  jobLeaseMs: number;
  jobMaxAttempts: number;
  jobPollMs: number;
  /** PostgreSQL: how long opening a connection may take. */
  databaseConnectTimeoutMs: number;
  /** PostgreSQL: statement_timeout of every pooled connection (0: none). */
  databaseStatementTimeoutMs: number;
  logLevel: string;
  /**
   * The key certificates are sealed with at rest: 32 bytes as base64 or 64 hex digits. Absent:
   * `<dataDir>/secret.key`, generated on first use. Every process that reads certificates
   * (api, worker) must have the same key; it is never stored in the database.
   */
  secretKey: string | null;
  /** Keystone (FULCRUM_AUTH_STRATEGY=keystone): identity URL and Fulcrum's own service credentials. */
  keystoneAuthUrl: string | null;
  keystoneUsername: string | null;
  keystonePassword: string | null;
  keystoneProjectName: string | null;
  keystoneUserDomainName: string;
  keystoneProjectDomainName: string;
  /** How long a validated token is trusted without asking Keystone again (never past its expiry). */
  keystoneCacheTtlMs: number;
  /** How long a rejected token is rejected without asking Keystone again. */
  keystoneNegativeCacheTtlMs: number;
  keystoneCacheSize: number;
  /** FULCRUM_METRICS_BIND (HOST:PORT): serve /metrics there too, without credentials; null: only the API's admin-only /metrics. */
  metricsBind: { host: string; port: number } | null;
  /**
   * A syslog collector every amphora agent on this host copies its amphorae's logs to
   * (Octavia's log offloading): `udp://host:port` or `tcp://host:port`; null: none.
   */
  logOffload: string | null;
  logOffloadFormat: 'rfc5424' | 'rfc3164';
  /** Access log kept per amphora by its agent: bytes on disk and seconds. */
  accessLogBytes: number;
  accessLogRetentionSeconds: number;
  /** Webhook deliveries: attempts before one is dead-lettered, the first retry's wait (doubling up to the cap), and one POST's timeout. */
  webhookMaxAttempts: number;
  webhookRetryBaseMs: number;
  webhookRetryCapMs: number;
  webhookTimeoutMs: number;
  /** Housekeeping records a certificate.expiring event this many days before a stored certificate expires; 0: never. */
  certExpiryWarnDays: number;
  /** How often housekeeping looks for certificates near their expiry (and purges events past their retention). */
  certExpiryCheckMs: number;
  /** How long the agent certificate a joined host gets (at the join and at each renewal) is valid. */
  hostCertValiditySeconds: number;
  /** Housekeeping renews a joined host's certificate in this last percentage of its lifetime. */
  hostCertRenewPercent: number;
  /** How often housekeeping looks for joined hosts whose certificate is due, and retries a failed renewal. */
  hostCertCheckMs: number;
  /** Events older than this many days are purged by housekeeping, with their webhook deliveries. */
  eventRetentionDays: number;
  /**
   * Per-source protection every listener gets unless its flavor or its own settings say
   * otherwise (src/model/protection.ts), e.g. {"concurrent_connections_per_source": 1000}.
   */
  protectionDefaults: ProtectionOverrides;
  /**
   * How long the amphorae of a host that went silent as a whole (its agent restarting, the host
   * rebooting) wait, after the heartbeat timeout, for it to be heard again before they are
   * failed over (src/health/host-silence.ts).
   */
  hostSilenceGraceMs: number;
  /** How long a failover's call waits for an amphora agent that does not answer (being restarted) before the attempt fails. */
  failoverAgentWaitMs: number;
  /** Addresses webhooks may not be delivered to, and the exceptions (model/webhook-addresses.ts). */
  webhookDeniedCidrs: string[];
  webhookAllowedCidrs: string[];
  /** Whether HAProxy logs tenant traffic (Octavia's [haproxy_amphora] connection_logging); the admin log flows either way. */
  connectionLogging: boolean;
  /** How each amphora's HAProxy sends its log to the agent: a named pipe, or HAProxy's ring (docs/access-logs.md §1). */
  haproxyLogTransport: 'pipe' | 'ring';
}

interface Setting<K extends keyof FulcrumConfig> {
  key: K;
  env: string;
  parse: (raw: unknown) => FulcrumConfig[K];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function str(name: string) {
  return (raw: unknown): string => {
    if (typeof raw !== 'string' || raw.length === 0) throw new ConfigError(`${name} must be a non-empty string`);
    return raw;
  };
}

function int(name: string, min: number, max: number) {
  return (raw: unknown): number => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return n;
  };
}

function list(name: string) {
  return (raw: unknown): string[] => {
    const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : null;
    if (!items || items.some((i) => typeof i !== 'string')) throw new ConfigError(`${name} must be a comma-separated list`);
    const out = items.map((i: string) => i.trim()).filter((i: string) => i.length > 0);
    if (out.length === 0) throw new ConfigError(`${name} must name at least one entry`);
    return out;
  };
}

/** Comma-separated CIDRs, or `none`. */
function cidrList(name: string) {
  return (raw: unknown): string[] => {
    const parsed = Array.isArray(raw) ? parseCidrList(raw.join(',')) : typeof raw === 'string' ? parseCidrList(raw) : { problem: 'must be a string' };
    if ('problem' in parsed) throw new ConfigError(`${name}: ${parsed.problem}`);
    return parsed;
  };
}

/** A share from 0 (exclusive) to 1, or `off`. */
function share(name: string) {
  return (raw: unknown): number | null => {
    if (raw === 'off' || raw === null) return null;
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d*\.?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!(n > 0 && n <= 1)) throw new ConfigError(`${name} must be a number above 0 and at most 1, or "off", got ${JSON.stringify(raw)}`);
    return n;
  };
}

function bool(name: string) {
  return (raw: unknown): boolean => {
    if (raw === true || raw === 'true' || raw === '1') return true;
    if (raw === false || raw === 'false' || raw === '0') return false;
    throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
  };
}

function oneOf<T extends string>(name: string, values: readonly T[]) {
  return (raw: unknown): T => {
    if (typeof raw !== 'string' || !values.includes(raw as T)) {
      throw new ConfigError(`${name} must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
    }
    return raw as T;
  };
}

/** 32 bytes, as base64 or hex; the text is kept and decoded where the key is used. */
function secretKey(raw: unknown): string {
  const value = str('FULCRUM_SECRET_KEY')(raw).trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(value) ? 32 : /^[A-Za-z0-9+/]{43}=$/.test(value) ? Buffer.from(value, 'base64').length : 0;
  if (bytes !== 32) throw new ConfigError('FULCRUM_SECRET_KEY must be 32 bytes written as base64 (44 characters) or hex (64 digits)');
  return value;
}

const SETTINGS: Setting<keyof FulcrumConfig>[] = [
  { key: 'dataDir', env: 'FULCRUM_DATA_DIR', parse: (raw) => resolve(str('FULCRUM_DATA_DIR')(raw)) },
  {
    key: 'databaseUrl',
    env: 'FULCRUM_DATABASE_URL',
    parse: (raw) => {
      const url = str('FULCRUM_DATABASE_URL')(raw);
      if (!/^postgres(ql)?:\/\//.test(url) && !url.startsWith('pglite:')) {
        throw new ConfigError(`FULCRUM_DATABASE_URL must start with postgres://, postgresql:// or pglite:, got ${JSON.stringify(url)}`);
      }
      return url;
    },
  },
  { key: 'authStrategy', env: 'FULCRUM_AUTH_STRATEGY', parse: oneOf('FULCRUM_AUTH_STRATEGY', ['noauth', 'keystone', 'apikey'] as const) },
  { key: 'policyProfile', env: 'FULCRUM_POLICY_PROFILE', parse: oneOf('FULCRUM_POLICY_PROFILE', POLICY_PROFILES) },
  { key: 'policyFile', env: 'FULCRUM_POLICY_FILE', parse: (raw) => resolve(str('FULCRUM_POLICY_FILE')(raw)) },
  { key: 'enabledProviders', env: 'FULCRUM_ENABLED_PROVIDERS', parse: list('FULCRUM_ENABLED_PROVIDERS') },
  { key: 'defaultProvider', env: 'FULCRUM_DEFAULT_PROVIDER', parse: str('FULCRUM_DEFAULT_PROVIDER') },
  { key: 'quotaDefaults', env: 'FULCRUM_QUOTA_DEFAULTS', parse: (raw) => parseQuotaDefaults(raw) },
  { key: 'defaultTopology', env: 'FULCRUM_DEFAULT_TOPOLOGY', parse: oneOf('FULCRUM_DEFAULT_TOPOLOGY', ['SINGLE', 'ACTIVE_STANDBY'] as const) },
  { key: 'networkDriver', env: 'FULCRUM_NETWORK_DRIVER', parse: oneOf('FULCRUM_NETWORK_DRIVER', ['local', 'noop'] as const) },
  { key: 'computeDriver', env: 'FULCRUM_COMPUTE_DRIVER', parse: oneOf('FULCRUM_COMPUTE_DRIVER', ['process', 'netns', 'noop'] as const) },
  { key: 'localAgentPort', env: 'FULCRUM_LOCAL_AGENT_PORT', parse: int('FULCRUM_LOCAL_AGENT_PORT', 1, 65535) },
  { key: 'localAgentWatchMs', env: 'FULCRUM_LOCAL_AGENT_WATCH_MS', parse: int('FULCRUM_LOCAL_AGENT_WATCH_MS', 0, 60_000) },
  {
    key: 'hostName',
    env: 'FULCRUM_HOST_NAME',
    parse: (raw) => {
      const v = str('FULCRUM_HOST_NAME')(raw);
      if (!isHostName(v)) throw new ConfigError(`FULCRUM_HOST_NAME must be letters, digits, '_', '.' or '-' (starting with a letter or digit, at most 255), got ${JSON.stringify(v)}`);
      return v;
    },
  },
  {
    key: 'netnsPrefix',
    env: 'FULCRUM_NETNS_PREFIX',
    parse: (raw) => {
      const v = str('FULCRUM_NETNS_PREFIX')(raw);
      if (!/^[a-z][a-z0-9]{0,5}$/.test(v)) throw new ConfigError(`FULCRUM_NETNS_PREFIX must be 1-6 lowercase letters or digits starting with a letter, got ${JSON.stringify(v)}`);
      return v;
    },
  },
  { key: 'netnsBridgeAddress', env: 'FULCRUM_NETNS_BRIDGE_ADDRESS', parse: str('FULCRUM_NETNS_BRIDGE_ADDRESS') },
  { key: 'healthPollMs', env: 'FULCRUM_HEALTH_POLL_MS', parse: int('FULCRUM_HEALTH_POLL_MS', 50, 60_000) },
  { key: 'sparePoolSize', env: 'FULCRUM_SPARE_POOL_SIZE', parse: int('FULCRUM_SPARE_POOL_SIZE', 0, 1000) },
  { key: 'sparePoolCheckMs', env: 'FULCRUM_SPARE_POOL_CHECK_MS', parse: int('FULCRUM_SPARE_POOL_CHECK_MS', 100, 3_600_000) },
  { key: 'healthBindHost', env: 'FULCRUM_HEALTH_BIND_HOST', parse: str('FULCRUM_HEALTH_BIND_HOST') },
  { key: 'healthPort', env: 'FULCRUM_HEALTH_PORT', parse: int('FULCRUM_HEALTH_PORT', 0, 65535) },
  { key: 'healthAdvertiseHost', env: 'FULCRUM_HEALTH_ADVERTISE_HOST', parse: str('FULCRUM_HEALTH_ADVERTISE_HOST') },
  { key: 'heartbeatIntervalMs', env: 'FULCRUM_HEARTBEAT_INTERVAL_MS', parse: int('FULCRUM_HEARTBEAT_INTERVAL_MS', 50, 60_000) },
  { key: 'heartbeatTimeoutMs', env: 'FULCRUM_HEARTBEAT_TIMEOUT_MS', parse: int('FULCRUM_HEARTBEAT_TIMEOUT_MS', 200, 3_600_000) },
  { key: 'autoFailover', env: 'FULCRUM_AUTO_FAILOVER', parse: bool('FULCRUM_AUTO_FAILOVER') },
  { key: 'failoverMaxConcurrent', env: 'FULCRUM_FAILOVER_MAX_CONCURRENT', parse: int('FULCRUM_FAILOVER_MAX_CONCURRENT', 1, 1000) },
  { key: 'breakerFleet', env: 'FULCRUM_FAILOVER_BREAKER_FLEET', parse: share('FULCRUM_FAILOVER_BREAKER_FLEET') },
  { key: 'breakerAz', env: 'FULCRUM_FAILOVER_BREAKER_AZ', parse: share('FULCRUM_FAILOVER_BREAKER_AZ') },
  { key: 'breakerHost', env: 'FULCRUM_FAILOVER_BREAKER_HOST', parse: share('FULCRUM_FAILOVER_BREAKER_HOST') },
  { key: 'breakerMinSilent', env: 'FULCRUM_FAILOVER_BREAKER_MIN_SILENT', parse: int('FULCRUM_FAILOVER_BREAKER_MIN_SILENT', 1, 1_000_000) },
  { key: 'paginationMaxLimit', env: 'FULCRUM_PAGINATION_MAX_LIMIT', parse: int('FULCRUM_PAGINATION_MAX_LIMIT', 1, 1_000_000) },
  { key: 'apiBaseUri', env: 'FULCRUM_API_BASE_URI', parse: (raw) => str('FULCRUM_API_BASE_URI')(raw).replace(/\/+$/, '') },
  { key: 'workerConcurrency', env: 'FULCRUM_WORKER_CONCURRENCY', parse: int('FULCRUM_WORKER_CONCURRENCY', 1, 256) },
  { key: 'jobLeaseMs', env: 'FULCRUM_JOB_LEASE_MS', parse: int('FULCRUM_JOB_LEASE_MS', 500, 3_600_000) },
  { key: 'jobMaxAttempts', env: 'FULCRUM_JOB_MAX_ATTEMPTS', parse: int('FULCRUM_JOB_MAX_ATTEMPTS', 1, 100) },
  { key: 'jobPollMs', env: 'FULCRUM_JOB_POLL_MS', parse: int('FULCRUM_JOB_POLL_MS', 10, 60_000) },
  { key: 'databaseConnectTimeoutMs', env: 'FULCRUM_DATABASE_CONNECT_TIMEOUT_MS', parse: int('FULCRUM_DATABASE_CONNECT_TIMEOUT_MS', 100, 600_000) },
  { key: 'databaseStatementTimeoutMs', env: 'FULCRUM_DATABASE_STATEMENT_TIMEOUT_MS', parse: int('FULCRUM_DATABASE_STATEMENT_TIMEOUT_MS', 0, 86_400_000) },
  { key: 'logLevel', env: 'FULCRUM_LOG_LEVEL', parse: oneOf('FULCRUM_LOG_LEVEL', LOG_LEVELS) },
  { key: 'secretKey', env: 'FULCRUM_SECRET_KEY', parse: secretKey },
  { key: 'keystoneAuthUrl', env: 'FULCRUM_KEYSTONE_AUTH_URL', parse: (raw) => str('FULCRUM_KEYSTONE_AUTH_URL')(raw).replace(/\/+$/, '') },
  { key: 'keystoneUsername', env: 'FULCRUM_KEYSTONE_USERNAME', parse: str('FULCRUM_KEYSTONE_USERNAME') },
  { key: 'keystonePassword', env: 'FULCRUM_KEYSTONE_PASSWORD', parse: str('FULCRUM_KEYSTONE_PASSWORD') },
  { key: 'keystoneProjectName', env: 'FULCRUM_KEYSTONE_PROJECT_NAME', parse: str('FULCRUM_KEYSTONE_PROJECT_NAME') },
  { key: 'keystoneUserDomainName', env: 'FULCRUM_KEYSTONE_USER_DOMAIN_NAME', parse: str('FULCRUM_KEYSTONE_USER_DOMAIN_NAME') },
  { key: 'keystoneProjectDomainName', env: 'FULCRUM_KEYSTONE_PROJECT_DOMAIN_NAME', parse: str('FULCRUM_KEYSTONE_PROJECT_DOMAIN_NAME') },
  { key: 'keystoneCacheTtlMs', env: 'FULCRUM_KEYSTONE_CACHE_TTL_MS', parse: int('FULCRUM_KEYSTONE_CACHE_TTL_MS', 0, 86_400_000) },
  { key: 'keystoneNegativeCacheTtlMs', env: 'FULCRUM_KEYSTONE_NEGATIVE_CACHE_TTL_MS', parse: int('FULCRUM_KEYSTONE_NEGATIVE_CACHE_TTL_MS', 0, 3_600_000) },
  { key: 'keystoneCacheSize', env: 'FULCRUM_KEYSTONE_CACHE_SIZE', parse: int('FULCRUM_KEYSTONE_CACHE_SIZE', 0, 10_000_000) },
  { key: 'metricsBind', env: 'FULCRUM_METRICS_BIND', parse: parseMetricsBind },
  {
    key: 'logOffload',
    env: 'FULCRUM_LOG_OFFLOAD',
    parse: (raw) => {
      const value = str('FULCRUM_LOG_OFFLOAD')(raw);
      const m = /^(udp|tcp):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
      if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) throw new ConfigError(`FULCRUM_LOG_OFFLOAD must be udp://host:port or tcp://host:port, got ${JSON.stringify(value)}`);
      return value;
    },
  },
  { key: 'logOffloadFormat', env: 'FULCRUM_LOG_OFFLOAD_FORMAT', parse: oneOf('FULCRUM_LOG_OFFLOAD_FORMAT', ['rfc5424', 'rfc3164'] as const) },
  { key: 'accessLogBytes', env: 'FULCRUM_ACCESS_LOG_BYTES', parse: int('FULCRUM_ACCESS_LOG_BYTES', 65_536, 1024 ** 4) },
  { key: 'accessLogRetentionSeconds', env: 'FULCRUM_ACCESS_LOG_RETENTION_SECONDS', parse: int('FULCRUM_ACCESS_LOG_RETENTION_SECONDS', 1, 10 * 365 * 86_400) },
  { key: 'webhookMaxAttempts', env: 'FULCRUM_WEBHOOK_MAX_ATTEMPTS', parse: int('FULCRUM_WEBHOOK_MAX_ATTEMPTS', 1, 100) },
  { key: 'webhookRetryBaseMs', env: 'FULCRUM_WEBHOOK_RETRY_BASE_MS', parse: int('FULCRUM_WEBHOOK_RETRY_BASE_MS', 10, 3_600_000) },
  { key: 'webhookRetryCapMs', env: 'FULCRUM_WEBHOOK_RETRY_CAP_MS', parse: int('FULCRUM_WEBHOOK_RETRY_CAP_MS', 10, 86_400_000) },
  { key: 'webhookTimeoutMs', env: 'FULCRUM_WEBHOOK_TIMEOUT_MS', parse: int('FULCRUM_WEBHOOK_TIMEOUT_MS', 100, 600_000) },
  { key: 'certExpiryWarnDays', env: 'FULCRUM_CERT_EXPIRY_WARN_DAYS', parse: int('FULCRUM_CERT_EXPIRY_WARN_DAYS', 0, 3650) },
  { key: 'certExpiryCheckMs', env: 'FULCRUM_CERT_EXPIRY_CHECK_MS', parse: int('FULCRUM_CERT_EXPIRY_CHECK_MS', 100, 86_400_000) },
  { key: 'hostCertValiditySeconds', env: 'FULCRUM_HOST_CERT_VALIDITY_SECONDS', parse: int('FULCRUM_HOST_CERT_VALIDITY_SECONDS', 10, 10 * 365 * 86_400) },
  { key: 'hostCertRenewPercent', env: 'FULCRUM_HOST_CERT_RENEW_PERCENT', parse: int('FULCRUM_HOST_CERT_RENEW_PERCENT', 1, 90) },
  { key: 'hostCertCheckMs', env: 'FULCRUM_HOST_CERT_CHECK_MS', parse: int('FULCRUM_HOST_CERT_CHECK_MS', 100, 86_400_000) },
  { key: 'eventRetentionDays', env: 'FULCRUM_EVENT_RETENTION_DAYS', parse: int('FULCRUM_EVENT_RETENTION_DAYS', 1, 36_500) },
  { key: 'protectionDefaults', env: 'FULCRUM_PROTECTION_DEFAULTS', parse: parseProtectionDefaults },
  { key: 'hostSilenceGraceMs', env: 'FULCRUM_HOST_SILENCE_GRACE_MS', parse: int('FULCRUM_HOST_SILENCE_GRACE_MS', 0, 3_600_000) },
  { key: 'failoverAgentWaitMs', env: 'FULCRUM_FAILOVER_AGENT_WAIT_MS', parse: int('FULCRUM_FAILOVER_AGENT_WAIT_MS', 0, 3_600_000) },
  { key: 'webhookDeniedCidrs', env: 'FULCRUM_WEBHOOK_DENIED_CIDRS', parse: cidrList('FULCRUM_WEBHOOK_DENIED_CIDRS') },
  { key: 'webhookAllowedCidrs', env: 'FULCRUM_WEBHOOK_ALLOWED_CIDRS', parse: cidrList('FULCRUM_WEBHOOK_ALLOWED_CIDRS') },
  { key: 'connectionLogging', env: 'FULCRUM_CONNECTION_LOGGING', parse: bool('FULCRUM_CONNECTION_LOGGING') },
  { key: 'haproxyLogTransport', env: 'FULCRUM_HAPROXY_LOG_TRANSPORT', parse: oneOf('FULCRUM_HAPROXY_LOG_TRANSPORT', ['pipe', 'ring'] as const) },
];

export const DEFAULT_CONFIG: FulcrumConfig = {
  apiHost: '127.0.0.1',
  apiPort: 9876,
  dataDir: resolve('.fulcrum'),
  databaseUrl: null,
  authStrategy: 'noauth',
  policyProfile: 'octavia',
  policyFile: null,
  enabledProviders: ['amphora', 'octavia', 'noop'],
  defaultProvider: 'amphora',
  quotaDefaults: UNLIMITED_DEFAULTS,
  defaultTopology: 'SINGLE',
  networkDriver: 'local',
  computeDriver: 'process',
  localAgentPort: null,
  localAgentWatchMs: 500,
  hostName: hostNameOfMachine(hostname()),
  netnsPrefix: 'fc',
  netnsBridgeAddress: null,
  healthPollMs: 500,
  healthBindHost: '127.0.0.1',
  healthPort: 0,
  healthAdvertiseHost: null,
  heartbeatIntervalMs: 1000,
  heartbeatTimeoutMs: 3000,
  autoFailover: true,
  failoverMaxConcurrent: 4,
  breakerFleet: 0.5,
  breakerAz: 0.5,
  breakerHost: null,
  breakerMinSilent: 3,
  sparePoolSize: 0,
  sparePoolCheckMs: 2000,
  paginationMaxLimit: 1000,
  apiBaseUri: null,
  workerConcurrency: 8,
  jobLeaseMs: 10_000,
  jobMaxAttempts: 5,
  jobPollMs: 250,
  databaseConnectTimeoutMs: 10_000,
  databaseStatementTimeoutMs: 60_000,
  logLevel: 'info',
  secretKey: null,
  keystoneAuthUrl: null,
  keystoneUsername: null,
  keystonePassword: null,
  keystoneProjectName: null,
  keystoneUserDomainName: 'Default',
  keystoneProjectDomainName: 'Default',
  keystoneCacheTtlMs: 60_000,
  keystoneNegativeCacheTtlMs: 5_000,
  keystoneCacheSize: 10_000,
  metricsBind: null,
  logOffload: null,
  logOffloadFormat: 'rfc5424',
  accessLogBytes: 4 * 1024 * 1024,
  accessLogRetentionSeconds: 86_400,
  webhookMaxAttempts: 8,
  webhookRetryBaseMs: 2_000,
  webhookRetryCapMs: 600_000,
  webhookTimeoutMs: 10_000,
  certExpiryWarnDays: 30,
  certExpiryCheckMs: 3_600_000,
  hostCertValiditySeconds: 365 * 86_400,
  hostCertRenewPercent: 33,
  hostCertCheckMs: 600_000,
  eventRetentionDays: 30,
  protectionDefaults: {},
  hostSilenceGraceMs: 15_000,
  failoverAgentWaitMs: 60_000,
  webhookDeniedCidrs: [...DEFAULT_DENIED_CIDRS],
  webhookAllowedCidrs: [],
  connectionLogging: true,
  haproxyLogTransport: 'pipe',
};

function parseProtectionDefaults(raw: unknown): ProtectionOverrides {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ConfigError(`FULCRUM_PROTECTION_DEFAULTS must be a JSON object such as {"requests_per_second_per_source": 100}, got ${JSON.stringify(raw)}`);
    }
  }
  const problem = protectionProblem(value);
  if (problem) throw new ConfigError(`FULCRUM_PROTECTION_DEFAULTS ${problem}`);
  return value as ProtectionOverrides;
}

function parseBind(raw: unknown): { apiHost: string; apiPort: number } {
  const value = str('FULCRUM_API_BIND')(raw);
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:]+):(\d+)$/.exec(value);
  if (!m) throw new ConfigError(`FULCRUM_API_BIND must be HOST:PORT, got ${JSON.stringify(value)}`);
  return { apiHost: m[1].replace(/^\[|\]$/g, ''), apiPort: int('FULCRUM_API_BIND port', 0, 65535)(m[2]) };
}

function parseMetricsBind(raw: unknown): { host: string; port: number } {
  const value = str('FULCRUM_METRICS_BIND')(raw);
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:]+):(\d+)$/.exec(value);
  if (!m) throw new ConfigError(`FULCRUM_METRICS_BIND must be HOST:PORT, got ${JSON.stringify(value)}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: int('FULCRUM_METRICS_BIND port', 0, 65535)(m[2]) };
}

/** 127.0.0.0/8, ::1 (also as an IPv4-mapped address) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^::ffff:/, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The default authentication makes every caller an administrator: harmless on loopback, an open
 * door anywhere else. Listening elsewhere with it takes an explicit FULCRUM_AUTH_STRATEGY=noauth.
 */
export function openApiExposure(config: Pick<FulcrumConfig, 'apiHost' | 'apiPort' | 'authStrategy'>, authChosen: boolean): string | null {
  if (config.authStrategy !== 'noauth' || authChosen || isLoopbackHost(config.apiHost)) return null;
  return (
    `FULCRUM_API_BIND ${config.apiHost}:${config.apiPort} is not a loopback address, and the default authentication (noauth) ` +
    'makes every caller an administrator of every project: choose FULCRUM_AUTH_STRATEGY=keystone or apikey, ' +
    'or set FULCRUM_AUTH_STRATEGY=noauth explicitly to serve an open API on this address'
  );
}

/**
 * Builds the configuration from defaults, then the JSON file (keys as in FulcrumConfig, plus
 * `apiBind`), then the environment. Every bad value is reported, not just the first.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<FulcrumConfig> = {}): FulcrumConfig {
  const config: FulcrumConfig = { ...DEFAULT_CONFIG };
  const problems: string[] = [];
  let file: Record<string, unknown> = {};
  const filePath = env.FULCRUM_CONFIG_FILE;
  if (filePath) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(filePath, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      file = parsed as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`FULCRUM_CONFIG_FILE ${filePath}: ${(err as Error).message}`);
    }
    const known = new Set<string>([...SETTINGS.map((s) => s.key), 'apiBind']);
    for (const key of Object.keys(file)) if (!known.has(key)) problems.push(`${filePath}: unknown setting ${JSON.stringify(key)}`);
  }
  const apply = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      problems.push((err as Error).message);
    }
  };
  for (const source of [file, env]) {
    const bind = source === env ? env.FULCRUM_API_BIND : file.apiBind;
    if (bind !== undefined) apply(() => Object.assign(config, parseBind(bind)));
    for (const setting of SETTINGS) {
      const raw = source === env ? env[setting.env] : file[setting.key];
      if (raw !== undefined && raw !== '') apply(() => ((config as unknown as Record<string, unknown>)[setting.key] = setting.parse(raw)));
    }
  }
  Object.assign(config, overrides);
  const authChosen = (env.FULCRUM_AUTH_STRATEGY ?? '') !== '' || file.authStrategy !== undefined || overrides.authStrategy !== undefined;
  const exposure = openApiExposure(config, authChosen);
  if (exposure) problems.push(exposure);
  if (!config.enabledProviders.includes(config.defaultProvider)) {
    problems.push(`FULCRUM_DEFAULT_PROVIDER ${JSON.stringify(config.defaultProvider)} is not in FULCRUM_ENABLED_PROVIDERS (${config.enabledProviders.join(', ')})`);
  }
  // One late or lost datagram must not look like a dead amphora.
  if (config.heartbeatTimeoutMs < 2 * config.heartbeatIntervalMs) {
    problems.push(`FULCRUM_HEARTBEAT_TIMEOUT_MS (${config.heartbeatTimeoutMs}) must be at least twice FULCRUM_HEARTBEAT_INTERVAL_MS (${config.heartbeatIntervalMs})`);
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}
