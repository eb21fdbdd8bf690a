-- Quotas, flavors / flavor profiles and availability zones / AZ profiles (reference §5.9–5.12).
-- Every table has an id and created_at so the shared list query (keyset pagination with
-- created_at/id tie-breakers) works on it; availability zones are still addressed by name.

-- One row per project that has created something or had a quota set. A null limit means
-- "the deployment default"; in-use counts are not stored but counted under this row's lock.
create table quota (
  id uuid primary key,
  project_id text not null unique,
  loadbalancer integer,
  listener integer,
  pool integer,
  healthmonitor integer,
  member integer,
  l7policy integer,
  l7rule integer,
  created_at timestamptz(3) not null default now()
);

create table flavor_profile (
  id uuid primary key,
  name text not null,
  provider_name text not null,
  -- Kept as the JSON text the operator gave, as Octavia shows it back.
  flavor_data text not null,
  created_at timestamptz(3) not null default now()
);

create table flavor (
  id uuid primary key,
  name text not null unique,
  description text not null default '',
  enabled boolean not null default true,
  flavor_profile_id uuid not null references flavor_profile (id) on delete restrict,
  created_at timestamptz(3) not null default now()
);
create index flavor_profile_ref on flavor (flavor_profile_id);

create table availability_zone_profile (
  id uuid primary key,
  name text not null,
  provider_name text not null,
  availability_zone_data text not null,
  created_at timestamptz(3) not null default now()
);

create table availability_zone (
  id uuid primary key,
  name text not null unique,
  description text not null default '',
  enabled boolean not null default true,
  availability_zone_profile_id uuid not null references availability_zone_profile (id) on delete restrict,
  created_at timestamptz(3) not null default now()
);
create index availability_zone_profile_ref on availability_zone (availability_zone_profile_id);

-- "Is this flavor / zone still used by a load balancer?" at delete time.
create index load_balancer_flavor on load_balancer (flavor_id) where flavor_id is not null;
create index load_balancer_availability_zone on load_balancer (availability_zone) where availability_zone is not null;
