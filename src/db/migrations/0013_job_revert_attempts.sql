-- How many times the reverting phase of a job has failed on a revert that threw. A revert that
-- throws is tried again with backoff (it is not marked done); after max_attempts tries the
-- engine records it as not undone in the job's fault and goes on with the others.
alter table job add column revert_attempts integer not null default 0;
