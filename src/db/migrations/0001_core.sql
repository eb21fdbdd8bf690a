-- Core Octavia objects and the durable job tables.
-- Object timestamps keep milliseconds, so a pagination marker's created_at round-trips
-- through JavaScript exactly.
create table load_balancer (
  id uuid primary key,
  project_id text not null,
  name text,
  description text,
  admin_state_up boolean not null default true,
  provisioning_status text not null,
  operating_status text not null,
  provider text not null,
  topology text not null default 'SINGLE',
  vip_address text,
  vip_port_id uuid,
  vip_subnet_id uuid,
  vip_network_id uuid,
  vip_qos_policy_id uuid,
  flavor_id uuid,
  availability_zone text,
  tags jsonb not null default '[]',
  fault text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3)
);
create index load_balancer_project on load_balancer (project_id);

create table pool (
  id uuid primary key,
  project_id text not null,
  load_balancer_id uuid not null references load_balancer (id) on delete cascade,
  name text,
  description text,
  admin_state_up boolean not null default true,
  provisioning_status text not null,
  operating_status text not null,
  protocol text not null,
  lb_algorithm text not null,
  session_persistence jsonb,
  tls_enabled boolean not null default false,
  tls_container_ref text,
  ca_tls_container_ref text,
  crl_container_ref text,
  tls_ciphers text,
  tls_versions jsonb,
  alpn_protocols jsonb,
  tags jsonb not null default '[]',
  fault text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3)
);
create index pool_load_balancer on pool (load_balancer_id);

create table listener (
  id uuid primary key,
  project_id text not null,
  load_balancer_id uuid not null references load_balancer (id) on delete cascade,
  name text,
  description text,
  admin_state_up boolean not null default true,
  provisioning_status text not null,
  operating_status text not null,
  protocol text not null,
  protocol_port integer not null,
  connection_limit integer not null default -1,
  default_pool_id uuid references pool (id) on delete set null,
  timeout_client_data integer not null,
  timeout_member_connect integer not null,
  timeout_member_data integer not null,
  timeout_tcp_inspect integer not null,
  insert_headers jsonb not null default '{}',
  allowed_cidrs jsonb not null default '[]',
  default_tls_container_ref text,
  sni_container_refs jsonb not null default '[]',
  client_ca_tls_container_ref text,
  client_authentication text not null default 'NONE',
  client_crl_container_ref text,
  tls_ciphers text,
  tls_versions jsonb,
  alpn_protocols jsonb,
  hsts_max_age integer,
  hsts_include_subdomains boolean not null default false,
  hsts_preload boolean not null default false,
  tags jsonb not null default '[]',
  fault text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3)
);
create index listener_load_balancer on listener (load_balancer_id);

create table member (
  id uuid primary key,
  project_id text not null,
  pool_id uuid not null references pool (id) on delete cascade,
  name text,
  admin_state_up boolean not null default true,
  provisioning_status text not null,
  operating_status text not null,
  address text not null,
  protocol_port integer not null,
  weight integer not null default 1,
  backup boolean not null default false,
  subnet_id uuid,
  monitor_address text,
  monitor_port integer,
  vnic_type text not null default 'normal',
  tags jsonb not null default '[]',
  fault text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3),
  unique (pool_id, address, protocol_port)
);

create table health_monitor (
  id uuid primary key,
  project_id text not null,
  pool_id uuid not null unique references pool (id) on delete cascade,
  name text,
  admin_state_up boolean not null default true,
  provisioning_status text not null,
  operating_status text not null,
  type text not null,
  delay integer not null,
  timeout integer not null,
  max_retries integer not null,
  max_retries_down integer not null default 3,
  http_method text,
  url_path text,
  expected_codes text,
  http_version real,
  domain_name text,
  tags jsonb not null default '[]',
  fault text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3)
);

create table job (
  id bigserial primary key,
  kind text not null,
  payload jsonb not null,
  load_balancer_id uuid,
  state text not null default 'queued' check (state in ('queued', 'running', 'succeeded', 'failed')),
  -- 'forward' runs the steps; 'reverting' undoes the finished ones after the last attempt failed.
  phase text not null default 'forward' check (phase in ('forward', 'reverting')),
  attempts integer not null default 0,
  max_attempts integer not null default 5,
  run_after timestamptz not null default now(),
  lease_owner text,
  lease_expires_at timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz
);
create index job_queued on job (run_after, id) where state = 'queued';
create index job_running on job (lease_expires_at) where state = 'running';
create index job_load_balancer on job (load_balancer_id);

create table job_step (
  job_id bigint not null references job (id) on delete cascade,
  step text not null,
  output jsonb,
  reverted boolean not null default false,
  finished_at timestamptz not null default now(),
  primary key (job_id, step)
);

-- Traffic counters per listener and amphora, cumulative, as the data plane reports them.
create table listener_statistics (
  listener_id uuid not null,
  amphora_id uuid not null,
  load_balancer_id uuid not null,
  bytes_in bigint not null default 0,
  bytes_out bigint not null default 0,
  active_connections bigint not null default 0,
  total_connections bigint not null default 0,
  request_errors bigint not null default 0,
  updated_at timestamptz not null default now(),
  primary key (listener_id, amphora_id)
);
create index listener_statistics_load_balancer on listener_statistics (load_balancer_id);
