-- What an amphora's agent says in its heartbeats beyond liveness: why it cannot bring HAProxy
-- back by itself (its namespace or configuration is gone, or its supervisor gave up), so the
-- health manager fails it over without waiting out the heartbeat timeout; and how many times
-- its supervision restarted a daemon (the highest count reported since the agent started).
alter table amphora_health add column fault text;
alter table amphora_health add column self_heals bigint not null default 0;
