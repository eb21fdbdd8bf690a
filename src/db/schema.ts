// Row types of the tables in migrations/*.sql, for Kysely. Column names are Fulcrum's; the
// Octavia spellings live only in src/api/octavia.
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;
/** A column the database fills in when an insert leaves it out. */
type Default<T> = ColumnType<T, T | undefined, T>;
type JsonDefault<T> = ColumnType<T, string | undefined, string>;

interface StatusColumns {
  provisioning_status: string;
  operating_status: string;
  fault: string | null;
  tags: JsonDefault<string[]>;
  created_at: Timestamp;
  updated_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface LoadBalancerTable extends StatusColumns {
  id: string;
  project_id: string;
  name: string | null;
  description: string | null;
  admin_state_up: Default<boolean>;
  provider: string;
  topology: ColumnType<string, string | undefined, string>;
  vip_address: string | null;
  vip_port_id: string | null;
  vip_subnet_id: string | null;
  vip_network_id: string | null;
  vip_qos_policy_id: string | null;
  flavor_id: string | null;
  availability_zone: string | null;
  additional_vips: JsonDefault<AdditionalVip[]>;
}

/** One additional VIP of a load balancer (migration 0009). */
export interface AdditionalVip {
  subnet_id: string;
  ip_address: string;
  port_id: string;
}

export interface ListenerTable extends StatusColumns {
  id: string;
  project_id: string;
  load_balancer_id: string;
  name: string | null;
  description: string | null;
  admin_state_up: Default<boolean>;
  protocol: string;
  protocol_port: number;
  connection_limit: Default<number>;
  default_pool_id: string | null;
  timeout_client_data: number;
  timeout_member_connect: number;
  timeout_member_data: number;
  timeout_tcp_inspect: number;
  insert_headers: JsonDefault<Record<string, string>>;
  allowed_cidrs: JsonDefault<string[]>;
  default_tls_container_ref: string | null;
  sni_container_refs: JsonDefault<string[]>;
  client_ca_tls_container_ref: string | null;
  client_authentication: Default<string>;
  client_crl_container_ref: string | null;
  tls_ciphers: string | null;
  tls_versions: JsonDefault<string[] | null>;
  alpn_protocols: JsonDefault<string[] | null>;
  hsts_max_age: number | null;
  hsts_include_subdomains: Default<boolean>;
  hsts_preload: Default<boolean>;
}

export interface SessionPersistence {
  type: string;
  cookie_name: string | null;
  persistence_timeout: number | null;
  persistence_granularity: string | null;
}

export interface PoolTable extends StatusColumns {
  id: string;
  project_id: string;
  load_balancer_id: string;
  name: string | null;
  description: string | null;
  admin_state_up: Default<boolean>;
  protocol: string;
  lb_algorithm: string;
  session_persistence: JsonDefault<SessionPersistence | null>;
  tls_enabled: Default<boolean>;
  tls_container_ref: string | null;
  ca_tls_container_ref: string | null;
  crl_container_ref: string | null;
  tls_ciphers: string | null;
  tls_versions: JsonDefault<string[] | null>;
  alpn_protocols: JsonDefault<string[] | null>;
}

export interface MemberTable extends StatusColumns {
  id: string;
  project_id: string;
  pool_id: string;
  name: string | null;
  admin_state_up: Default<boolean>;
  address: string;
  protocol_port: number;
  weight: Default<number>;
  backup: Default<boolean>;
  subnet_id: string | null;
  monitor_address: string | null;
  monitor_port: number | null;
  vnic_type: Default<string>;
}

export interface HealthMonitorTable extends StatusColumns {
  id: string;
  project_id: string;
  pool_id: string;
  name: string | null;
  admin_state_up: Default<boolean>;
  type: string;
  delay: number;
  timeout: number;
  max_retries: number;
  max_retries_down: Default<number>;
  http_method: string | null;
  url_path: string | null;
  expected_codes: string | null;
  http_version: number | null;
  domain_name: string | null;
}

export interface L7PolicyTable extends StatusColumns {
  id: string;
  project_id: string;
  listener_id: string;
  name: string | null;
  description: string | null;
  admin_state_up: Default<boolean>;
  action: string;
  redirect_pool_id: string | null;
  redirect_url: string | null;
  redirect_prefix: string | null;
  redirect_http_code: number | null;
  position: number;
}

export interface L7RuleTable extends StatusColumns {
  id: string;
  project_id: string;
  l7policy_id: string;
  admin_state_up: Default<boolean>;
  type: string;
  compare_type: string;
  key: string | null;
  value: string;
  invert: Default<boolean>;
}

export interface JobTable {
  id: Generated<string>;
  kind: string;
  payload: Json<unknown>;
  load_balancer_id: string | null;
  state: ColumnType<'queued' | 'running' | 'succeeded' | 'failed', string | undefined, string>;
  phase: ColumnType<'forward' | 'reverting', string | undefined, string>;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  /** Passes of the reverting phase that stopped on a revert that threw (migration 0013). */
  revert_attempts: Generated<number>;
  run_after: Timestamp;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Date | null;
  /** Higher is claimed first (failovers before creates). */
  priority: Generated<number>;
  /** At most one queued or running job per key. */
  dedupe_key: string | null;
}

export interface JobStepTable {
  job_id: string;
  step: string;
  output: Json<unknown>;
  reverted: Generated<boolean>;
  finished_at: Timestamp;
}

export interface ListenerStatisticsTable {
  listener_id: string;
  amphora_id: string;
  load_balancer_id: string;
  bytes_in: ColumnType<string, number | string, number | string>;
  bytes_out: ColumnType<string, number | string, number | string>;
  active_connections: ColumnType<string, number | string, number | string>;
  total_connections: ColumnType<string, number | string, number | string>;
  request_errors: ColumnType<string, number | string, number | string>;
  updated_at: Timestamp;
  /** Migration 0020: what HAProxy refused (connections, requests). */
  refused_connections: ColumnType<string, number | string | undefined, number | string>;
  refused_requests: ColumnType<string, number | string | undefined, number | string>;
}

/** Heartbeat keys (migration 0010): one per agent, sealed. */
export interface HeartbeatKeyTable {
  key_id: string;
  agent_url: string;
  secret: string;
  created_at: Timestamp;
}

export interface AmphoraHealthTable {
  amphora_id: string;
  last_seen: Date;
  last_seq: ColumnType<string, number | string, number | string>;
  haproxy_running: boolean;
  broken_since: Date | null;
  /** Why the agent cannot heal HAProxy, from its latest heartbeat; null when all is well or may heal. */
  fault: string | null;
  self_heals: ColumnType<string, number | string | undefined, number | string>;
  updated_at: Timestamp;
}

export interface ListenerCounterEpochTable {
  listener_id: string;
  amphora_id: string;
  epoch: string;
  bytes_in: ColumnType<string, number | string, number | string>;
  bytes_out: ColumnType<string, number | string, number | string>;
  total_connections: ColumnType<string, number | string, number | string>;
  request_errors: ColumnType<string, number | string, number | string>;
  updated_at: Timestamp;
  refused_connections: ColumnType<string, number | string | undefined, number | string>;
  refused_requests: ColumnType<string, number | string | undefined, number | string>;
}

export interface HealthManagerTable {
  id: string;
  host: string;
  port: number;
  counters: JsonDefault<Record<string, number>>;
  started_at: Timestamp;
  alive_at: Timestamp;
}

export interface FailoverBreakerTable {
  domain: string;
  open: Default<boolean>;
  reason: string | null;
  silent: Default<number>;
  total: Default<number>;
  opened_at: Date | null;
  closed_at: Date | null;
  reset_at: Date | null;
  updated_at: Timestamp;
}

export interface NetworkTable {
  id: string;
  name: Default<string>;
  project_id: string | null;
  created_at: Timestamp;
}

export interface SubnetTable {
  id: string;
  network_id: string;
  name: Default<string>;
  cidr: string;
  ip_version: number;
  gateway_ip: string | null;
  created_at: Timestamp;
}

export interface IpAllocationTable {
  subnet_id: string;
  /** The subnet's network: an address is held at most once per network. */
  network_id: string;
  address: string;
  owner_type: string;
  owner_id: string;
  created_at: Timestamp;
}

export interface AmphoraTable {
  id: string;
  load_balancer_id: string | null;
  status: string;
  role: string | null;
  compute_driver: string;
  compute_id: string | null;
  agent_url: string | null;
  netns: string | null;
  run_dir: string | null;
  lb_network_ip: string | null;
  vrrp_ip: string | null;
  ha_ip: string | null;
  vrrp_port_id: string | null;
  ha_port_id: string | null;
  vrrp_interface: string | null;
  vrrp_id: number | null;
  vrrp_priority: number | null;
  cert_expiration: Date | null;
  cert_busy: Default<boolean>;
  cached_zone: string | null;
  image_id: string | null;
  compute_flavor: string | null;
  fault: string | null;
  created_at: Timestamp;
  updated_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The job that took this amphora from the spare pool (migration 0013). */
  claimed_by_job: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  /** The inventory host its agent runs on (migration 0028); null for drivers that place on no host. */
  host_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** SHA-256 of the haproxy configuration last pushed and accepted (migration 0031). */
  haproxy_config_sha256: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The view behind the operator amphora API (migration 0009): live amphorae and their LB's project. */
export interface AmphoraApiView extends AmphoraTable {
  project_id: string | null;
}

export interface CertificateAuthorityTable {
  name: string;
  cert_pem: string;
  /** Only in databases of older Fulcrums, until the first start seals it into key_sealed. */
  key_pem: string | null;
  /** The private key, sealed by src/certs/secret-store.ts. */
  key_sealed: string | null;
  created_at: Timestamp;
}

export interface QuotaTable {
  id: string;
  project_id: string;
  loadbalancer: number | null;
  listener: number | null;
  pool: number | null;
  healthmonitor: number | null;
  member: number | null;
  l7policy: number | null;
  l7rule: number | null;
  created_at: Timestamp;
}

export interface FlavorProfileTable {
  id: string;
  name: string;
  provider_name: string;
  flavor_data: string;
  created_at: Timestamp;
}

export interface FlavorTable {
  id: string;
  name: string;
  description: Default<string>;
  enabled: Default<boolean>;
  flavor_profile_id: string;
  created_at: Timestamp;
}

export interface AvailabilityZoneProfileTable {
  id: string;
  name: string;
  provider_name: string;
  availability_zone_data: string;
  created_at: Timestamp;
}

export interface AvailabilityZoneTable {
  id: string;
  name: string;
  description: Default<string>;
  enabled: Default<boolean>;
  availability_zone_profile_id: string;
  created_at: Timestamp;
}

/** A stored certificate, CA bundle or CRL (migration 0008); `sealed` is the encrypted PEM payload. */
export interface CertificateTable {
  id: string;
  project_id: string;
  name: Default<string>;
  type: 'certificate' | 'ca' | 'crl';
  subject: string | null;
  issuer: string | null;
  subject_alt_names: JsonDefault<string[]>;
  fingerprint_sha256: string | null;
  not_before: Date | null;
  expires_at: Date | null;
  sealed: string;
  tags: JsonDefault<string[]>;
  created_at: Timestamp;
  updated_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** Fulcrum's own API keys (apikey strategy); only a digest of the key is kept. */
export interface ApiKeyTable {
  id: string;
  key_hash: string;
  name: Default<string>;
  description: Default<string>;
  project_id: string;
  roles: JsonDefault<string[]>;
  created_at: Timestamp;
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** An event (migration 0023): null project and load balancer for the control plane's own. */
export interface EventTable {
  id: string;
  type: string;
  severity: 'info' | 'warning' | 'error';
  project_id: string | null;
  load_balancer_id: string | null;
  detail: JsonDefault<Record<string, unknown>>;
  dedupe_key: string | null;
  created_at: Timestamp;
}

export interface WebhookTable {
  id: string;
  project_id: string | null;
  url: string;
  sealed_secret: string;
  event_types: JsonDefault<string[]>;
  created_at: Timestamp;
}

export interface WebhookDeliveryTable {
  id: string;
  webhook_id: string;
  event_id: string;
  status: Default<'pending' | 'delivered' | 'dead'>;
  attempts: Default<number>;
  last_error: string | null;
  last_status_code: number | null;
  created_at: Timestamp;
  last_attempt_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  delivered_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface HostTable {
  id: string;
  name: string;
  kind: Default<'local' | 'joined'>;
  address: string;
  port: number;
  availability_zone: string | null;
  admin_state: Default<string>;
  operating_status: Default<string>;
  capacity: number | null;
  labels: JsonDefault<Record<string, string>>;
  last_seen_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
  updated_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The agent certificate the host serves (migration 0033); null for the local host. */
  certificate_serial: ColumnType<string | null, string | null | undefined, string | null>;
  certificate_not_before: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  certificate_not_after: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  certificate_renewed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  certificate_renewal_error: ColumnType<string | null, string | null | undefined, string | null>;
  certificate_retry_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface HostJoinTokenTable {
  digest: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  host_id: string | null;
  created_at: Timestamp;
}

export interface Schema {
  api_key: ApiKeyTable;
  certificate: CertificateTable;
  certificate_authority: CertificateAuthorityTable;
  amphora: AmphoraTable;
  amphora_api: AmphoraApiView;
  network: NetworkTable;
  subnet: SubnetTable;
  ip_allocation: IpAllocationTable;
  listener_statistics: ListenerStatisticsTable;
  load_balancer: LoadBalancerTable;
  listener: ListenerTable;
  pool: PoolTable;
  member: MemberTable;
  health_monitor: HealthMonitorTable;
  l7policy: L7PolicyTable;
  l7rule: L7RuleTable;
  quota: QuotaTable;
  flavor_profile: FlavorProfileTable;
  flavor: FlavorTable;
  availability_zone_profile: AvailabilityZoneProfileTable;
  availability_zone: AvailabilityZoneTable;
  job: JobTable;
  job_step: JobStepTable;
  heartbeat_key: HeartbeatKeyTable;
  amphora_health: AmphoraHealthTable;
  listener_counter_epoch: ListenerCounterEpochTable;
  health_manager: HealthManagerTable;
  failover_breaker: FailoverBreakerTable;
  proxy_figures: ProxyFiguresTable;
  proxy_figures_epoch: ProxyFiguresEpochTable;
  event: EventTable;
  webhook: WebhookTable;
  webhook_delivery: WebhookDeliveryTable;
  listener_protection: ListenerProtectionTable;
  host: HostTable;
  host_join_token: HostJoinTokenTable;
}

export type Table = keyof Schema;

/** HAProxy figures for /metrics (migration 0022): totals per amphora and `show stat` row. */
export interface ProxyFiguresTable {
  amphora_id: string;
  proxy: string;
  server: string;
  load_balancer_id: string;
  listener_id: string | null;
  pool_id: string | null;
  member_id: string | null;
  counters: ColumnType<Record<string, number | string>, string, string>;
  gauges: ColumnType<Record<string, number | string>, string, string>;
  updated_at: Timestamp;
}

export interface ProxyFiguresEpochTable {
  amphora_id: string;
  proxy: string;
  server: string;
  epoch: string;
  counters: ColumnType<Record<string, number | string>, string, string>;
  updated_at: Timestamp;
}
/** Per-source protection a caller set on a listener (migration 0020): only the keys set. */
export interface ListenerProtectionTable {
  listener_id: string;
  settings: Json<Record<string, unknown>>;
  created_at: Timestamp;
  updated_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

