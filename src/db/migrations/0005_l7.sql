-- L7 policies (ordered per listener, first match wins) and their rules (ANDed).
-- A listener's policies and their rules go with it; a pool a policy redirects to cannot be
-- deleted while the policy exists (the API answers 409 first; the key is the last word).
create table l7policy (
  id uuid primary key,
  project_id text not null,
  listener_id uuid not null references listener (id) on delete cascade,
  name text,
  description text,
  admin_state_up boolean not null default true,
  provisioning_status text not null,
  operating_status text not null,
  action text not null,
  redirect_pool_id uuid references pool (id),
  redirect_url text,
  redirect_prefix text,
  redirect_http_code integer,
  -- Dense 1..N per listener; kept so by the API and by completion of a delete.
  position integer not null,
  tags jsonb not null default '[]',
  fault text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3)
);
create index l7policy_listener on l7policy (listener_id, position);
create index l7policy_redirect_pool on l7policy (redirect_pool_id);

create table l7rule (
  id uuid primary key,
  project_id text not null,
  l7policy_id uuid not null references l7policy (id) on delete cascade,
  admin_state_up boolean not null default true,
  provisioning_status text not null,
  operating_status text not null,
  type text not null,
  compare_type text not null,
  key text,
  value text not null,
  invert boolean not null default false,
  tags jsonb not null default '[]',
  fault text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3)
);
create index l7rule_policy on l7rule (l7policy_id);
