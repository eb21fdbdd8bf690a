-- The HAProxy figures /metrics exports (src/model/proxy-counters.ts), per amphora and `show
-- stat` row: a listener's frontend (pool_id, member_id null), a pool's backend (member_id
-- null) or a member's server. `counters` are totals that only grow: each HAProxy worker
-- (epoch) adds what it counted since its figures were last stored, so reloads and restarts of
-- Fulcrum lose nothing and count nothing twice. Rows of an amphora that was failed over stay,
-- so a listener's sum over amphorae never goes down; they go with their listener, pool or
-- member. `gauges` are the last reported values (active connections).
create table proxy_figures (
  amphora_id uuid not null,
  proxy text not null,
  server text not null,
  load_balancer_id uuid not null,
  listener_id uuid,
  pool_id uuid,
  member_id uuid,
  counters jsonb not null default '{}',
  gauges jsonb not null default '{}',
  updated_at timestamptz not null default now(),
  primary key (amphora_id, proxy, server)
);
create index proxy_figures_load_balancer on proxy_figures (load_balancer_id);

-- What each HAProxy worker had counted when its figures were last stored (see above).
create table proxy_figures_epoch (
  amphora_id uuid not null,
  proxy text not null,
  server text not null,
  epoch text not null,
  counters jsonb not null default '{}',
  updated_at timestamptz not null default now(),
  primary key (amphora_id, proxy, server, epoch)
);
