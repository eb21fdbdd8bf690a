-- Events: what an operator or tenant should know about (a provisioning failure and its reason,
-- an operating status change, a failover, a circuit breaker, a certificate about to expire, a
-- quota met). Each is written in the transaction of the change it reports. project_id and
-- load_balancer_id are null for events of the control plane itself (circuit breakers, hosts),
-- which only administrators see. dedupe_key makes a report that may be repeated (a flow step
-- run again after a crash, a periodic check) land once.
create table event (
  id uuid primary key,
  type text not null,
  severity text not null check (severity in ('info', 'warning', 'error')),
  project_id text,
  load_balancer_id uuid,
  detail jsonb not null default '{}',
  dedupe_key text unique,
  created_at timestamptz(3) not null default clock_timestamp()
);
create index event_created on event (created_at, id);
create index event_project_created on event (project_id, created_at, id);
create index event_lb_created on event (load_balancer_id, created_at, id) where load_balancer_id is not null;

-- Webhooks: where events are POSTed. project_id null (administrators only) means every
-- project's events and the control plane's; event_types empty means every type. The secret
-- signs each body; it is sealed like certificates (src/certs/secret-store.ts), never returned.
create table webhook (
  id uuid primary key,
  project_id text,
  url text not null,
  sealed_secret text not null,
  event_types jsonb not null default '[]',
  created_at timestamptz(3) not null default now()
);
create index webhook_project on webhook (project_id);

-- One event for one webhook. The job that delivers it (kind webhook-delivery) retries with
-- backoff; the row says how it went: pending, delivered, or dead after the last attempt.
create table webhook_delivery (
  id uuid primary key,
  webhook_id uuid not null references webhook (id) on delete cascade,
  event_id uuid not null references event (id) on delete cascade,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'dead')),
  attempts integer not null default 0,
  last_error text,
  last_status_code integer,
  created_at timestamptz(3) not null default now(),
  last_attempt_at timestamptz(3),
  delivered_at timestamptz(3),
  unique (webhook_id, event_id)
);
create index webhook_delivery_webhook on webhook_delivery (webhook_id, created_at, id);
