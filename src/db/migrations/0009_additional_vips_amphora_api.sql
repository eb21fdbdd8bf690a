-- A load balancer's additional VIPs (API v2.26): [{subnet_id, ip_address, port_id}], one per
-- subnet, all on the primary VIP's network. Kept on the row, so the graph every amphora is
-- rendered from carries them. Their addresses are held in ip_allocation like the primary's.
alter table load_balancer add column additional_vips jsonb not null default '[]'::jsonb;

-- What the operator amphora API lists and shows (reference §5.13): amphorae that are not
-- DELETED, with the project of their load balancer (the `project_id` filter).
create view amphora_api as
  select a.*, lb.project_id
  from amphora a left join load_balancer lb on lb.id = a.load_balancer_id
  where a.status <> 'DELETED';
