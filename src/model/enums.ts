// Octavia's enumerations and limits (docs/octavia-compatibility.md §4.1, §8), shared by validation, the status
// machine and the serializers.

export const PROVISIONING = ['ACTIVE', 'PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE', 'DELETED', 'ERROR'] as const;
export type ProvisioningStatus = (typeof PROVISIONING)[number];

export const OPERATING = ['ONLINE', 'OFFLINE', 'DEGRADED', 'ERROR', 'DRAINING', 'NO_MONITOR'] as const;
export type OperatingStatus = (typeof OPERATING)[number];

export const LISTENER_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'TERMINATED_HTTPS', 'UDP', 'SCTP', 'PROMETHEUS'] as const;
export type ListenerProtocol = (typeof LISTENER_PROTOCOLS)[number];

export const POOL_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'PROXY', 'PROXYV2', 'UDP', 'SCTP'] as const;
export type PoolProtocol = (typeof POOL_PROTOCOLS)[number];

export const LB_ALGORITHMS = ['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP', 'SOURCE_IP_PORT'] as const;

export const SESSION_PERSISTENCE_TYPES = ['SOURCE_IP', 'HTTP_COOKIE', 'APP_COOKIE'] as const;

export const HEALTH_MONITOR_TYPES = ['HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO', 'UDP-CONNECT', 'SCTP'] as const;
export type HealthMonitorType = (typeof HEALTH_MONITOR_TYPES)[number];

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'OPTIONS', 'CONNECT', 'PATCH'] as const;

export const CLIENT_AUTHENTICATION = ['NONE', 'OPTIONAL', 'MANDATORY'] as const;
export const TLS_VERSIONS = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export const ALPN_PROTOCOLS = ['h2', 'http/1.1', 'http/1.0'] as const;

export const INSERT_HEADERS = [
  'X-Forwarded-For',
  'X-Forwarded-Port',
  'X-Forwarded-Proto',
  'X-Forwarded-IP',
  'X-Client-IP',
  'X-Real-IP',
  'X-SSL-Client-Verify',
  'X-SSL-Client-Has-Cert',
  'X-SSL-Client-DN',
  'X-SSL-Client-CN',
  'X-SSL-Issuer',
  'X-SSL-Client-SHA1',
  'X-SSL-Client-Not-Before',
  'X-SSL-Client-Not-After',
] as const;

export const LIMITS = {
  port: { min: 1, max: 65535 },
  weight: { min: 0, max: 256 },
  retries: { min: 1, max: 10 },
  timeoutMs: { min: 0, max: 2_073_600_000 },
  name: 255,
  projectId: 36,
  tlsCiphers: 2048,
} as const;

export const LISTENER_TIMEOUT_DEFAULTS = {
  timeout_client_data: 50_000,
  timeout_member_connect: 5_000,
  timeout_member_data: 50_000,
  timeout_tcp_inspect: 0,
} as const;

export const RESERVED_MEMBER_IPS = ['169.254.169.254'] as const;

/** Applied when TLS is enabled and the caller named none (docs/octavia-compatibility.md §5.3). */
export const TLS_DEFAULTS = {
  versions: ['TLSv1.2', 'TLSv1.3'],
  alpn: ['h2', 'http/1.1', 'http/1.0'],
  ciphers:
    'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:' +
    'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:' +
    'ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305',
} as const;
