-- Amphorae: the appliances (HAProxy, keepalived, served by an amphora agent) behind each load
-- balancer of the amphora provider.
create table amphora (
  id uuid primary key,
  load_balancer_id uuid references load_balancer (id) on delete set null,
  status text not null,
  role text,
  compute_driver text not null,
  compute_id text,
  agent_url text,
  netns text,
  run_dir text,
  lb_network_ip text,
  vrrp_ip text,
  ha_ip text,
  vrrp_port_id uuid,
  ha_port_id uuid,
  vrrp_interface text,
  vrrp_id integer,
  vrrp_priority integer,
  cert_expiration timestamptz(3),
  cert_busy boolean not null default false,
  cached_zone text,
  image_id text,
  compute_flavor text,
  fault text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3)
);
create index amphora_load_balancer on amphora (load_balancer_id);

-- The controller's certificate authority for agent mutual TLS, shared by every controller
-- process through the database.
create table certificate_authority (
  name text primary key,
  cert_pem text not null,
  key_pem text not null,
  created_at timestamptz(3) not null default now()
);
