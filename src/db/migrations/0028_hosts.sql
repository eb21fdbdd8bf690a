-- The device inventory (docs/architecture.md §10): the hosts amphorae are placed on, and the
-- one-time tokens a new host joins with. A host is `local` (the controller's own agent) or
-- `joined` (it joined with a token; its agent certificate names the host id, and the
-- controller checks that name whenever it talks to it).
create table host (
  id uuid primary key,
  name text not null unique,
  kind text not null default 'joined',
  address text not null,
  port integer not null,
  availability_zone text,
  admin_state text not null default 'ENABLED',
  operating_status text not null default 'ONLINE',
  capacity integer,
  labels jsonb not null default '{}',
  last_seen_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz,
  unique (address, port)
);

-- Only the SHA-256 digest of a token is kept: whoever reads the database cannot join a host.
create table host_join_token (
  digest text primary key,
  expires_at timestamptz not null,
  used_at timestamptz,
  host_id uuid,
  created_at timestamptz not null default now()
);

alter table amphora add column host_id uuid;
create index amphora_host_idx on amphora (host_id) where status <> 'DELETED';
