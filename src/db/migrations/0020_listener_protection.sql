-- Per-source protection of a listener (docs/dataplane.md §9): the settings a caller
-- set on it, only the keys set (null: no limit). Defaults from configuration and the flavor
-- are layered under these when the configuration is rendered, so they are not copied here.
create table listener_protection (
  listener_id uuid primary key references listener (id) on delete cascade,
  settings jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz
);

-- What HAProxy refused on a listener: connections (outside allowed_cidrs, over a per-source
-- connection limit) and requests (over a per-source request rate, L7 REJECT policies),
-- counted per worker like the other counters.
alter table listener_statistics add column refused_connections bigint not null default 0;
alter table listener_statistics add column refused_requests bigint not null default 0;
alter table listener_counter_epoch add column refused_connections bigint not null default 0;
alter table listener_counter_epoch add column refused_requests bigint not null default 0;
