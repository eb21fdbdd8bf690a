-- Heartbeats, the health manager and automatic failover.

-- The HMAC key each amphora agent signs its heartbeats with, issued by the controller and
-- sealed like other secrets, so every health manager process can verify any agent.
create table heartbeat_key (
  key_id text primary key,
  agent_url text not null unique,
  secret text not null,
  created_at timestamptz not null default now()
);

-- What the health managers last heard from each amphora, on the database's clock. last_seq
-- survives a health manager restart, so an old packet is not accepted again.
create table amphora_health (
  amphora_id uuid primary key,
  last_seen timestamptz not null,
  last_seq bigint not null,
  haproxy_running boolean not null,
  -- Since when a serving amphora reports HAProxy not running (it could not heal itself).
  broken_since timestamptz,
  updated_at timestamptz not null default now()
);

-- The last counters seen per listener, amphora and HAProxy process (epoch): HAProxy counts
-- from zero in every new worker, so totals grow by the increase within one epoch, whichever
-- health manager sees it first, and a counter already counted is never counted again.
create table listener_counter_epoch (
  listener_id uuid not null,
  amphora_id uuid not null,
  epoch text not null,
  bytes_in bigint not null default 0,
  bytes_out bigint not null default 0,
  total_connections bigint not null default 0,
  request_errors bigint not null default 0,
  updated_at timestamptz not null default now(),
  primary key (listener_id, amphora_id, epoch)
);

-- The health manager processes alive, and where they take heartbeats: the list agents get.
create table health_manager (
  id text primary key,
  host text not null,
  port integer not null,
  -- What its receiver accepted and dropped (by reason) since it started.
  counters jsonb not null default '{}',
  started_at timestamptz not null default now(),
  alive_at timestamptz not null default now()
);

-- Automatic failover stops for a failure domain ('fleet', 'az:<name>', 'host:<agent url>')
-- while too many of its amphorae are silent at once; the row says why. reset_at: an operator
-- let the amphorae silent at that time be failed over.
create table failover_breaker (
  domain text primary key,
  open boolean not null default false,
  reason text,
  silent integer not null default 0,
  total integer not null default 0,
  opened_at timestamptz,
  closed_at timestamptz,
  reset_at timestamptz,
  updated_at timestamptz not null default now()
);

-- Failovers are claimed before other work; dedupe_key allows one live job per key (one
-- failover per amphora at a time, whichever health manager starts it).
alter table job add column priority integer not null default 0;
alter table job add column dedupe_key text;
create unique index job_dedupe_live on job (dedupe_key) where dedupe_key is not null and state in ('queued', 'running');
drop index job_queued;
create index job_queued on job (priority desc, run_after, id) where state = 'queued';
