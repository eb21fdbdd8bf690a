-- Fulcrum's own API keys (FULCRUM_AUTH_STRATEGY=apikey), for deployments without Keystone.
-- Only a SHA-256 digest of each key is stored; the key itself is shown once, at creation.
create table api_key (
  id uuid primary key,
  key_hash text not null unique,
  name text not null default '',
  description text not null default '',
  project_id text not null,
  roles jsonb not null default '[]',
  created_at timestamptz(3) not null default now(),
  last_used_at timestamptz(3),
  revoked_at timestamptz(3)
);
