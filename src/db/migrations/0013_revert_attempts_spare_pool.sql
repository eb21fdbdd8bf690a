-- Flow engine: revert retries. Amphorae: the spare pool.

-- How many times the reverting phase of a job has failed on a revert that threw. A revert that
-- throws is tried again with backoff (it is not marked done); after max_attempts tries the
-- engine records it as not undone in the job's fault and goes on with the others.
alter table job add column revert_attempts integer not null default 0;

-- The spare pool: pre-booted amphorae (status READY, no load balancer, cached_zone = their
-- availability zone) that creates and failovers take instead of booting one. The job that
-- took a spare is recorded on it, so a retried step finds the spare it took rather than
-- taking another.
alter table amphora add column claimed_by_job bigint;
create index amphora_spares on amphora (compute_driver, cached_zone, created_at) where status = 'READY' and load_balancer_id is null;

-- The view lists a.*: recreated so it stays the amphora columns plus project_id.
drop view amphora_api;
create view amphora_api as
  select a.*, lb.project_id
  from amphora a left join load_balancer lb on lb.id = a.load_balancer_id
  where a.status <> 'DELETED';
