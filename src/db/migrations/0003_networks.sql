-- Fulcrum's own small IPAM: networks, subnets and the addresses handed out on them.
create table network (
  id uuid primary key,
  name text not null default '',
  project_id text,
  created_at timestamptz(3) not null default now()
);

create table subnet (
  id uuid primary key,
  network_id uuid not null references network (id) on delete restrict,
  name text not null default '',
  cidr text not null,
  ip_version integer not null,
  gateway_ip text,
  created_at timestamptz(3) not null default now()
);
create index subnet_network on subnet (network_id);

create table ip_allocation (
  subnet_id uuid not null references subnet (id) on delete restrict,
  address text not null,
  -- What holds the address: a load balancer's VIP, an amphora's VRRP port, …
  owner_type text not null,
  owner_id uuid not null,
  created_at timestamptz(3) not null default now(),
  primary key (subnet_id, address)
);
create index ip_allocation_owner on ip_allocation (owner_id);
