-- An address is held at most once per network, whichever subnet it was taken from: the
-- database itself refuses a second holder, so no race between API processes can hand one VIP
-- to two load balancers. The allocation names its subnet's network, and the composite foreign
-- key keeps that name true.
alter table subnet add constraint subnet_id_network unique (id, network_id);
alter table ip_allocation add column network_id uuid;
update ip_allocation a set network_id = s.network_id from subnet s where s.id = a.subnet_id;
alter table ip_allocation alter column network_id set not null;
-- Overlapping subnets made before this migration may already hold one address twice: say which,
-- rather than fail on the unique index below with no hint of what to do.
do $$
declare
  dup record;
begin
  select network_id, address into dup from ip_allocation group by network_id, address having count(*) > 1 limit 1;
  if found then
    raise exception 'address % is held twice on network % (by load balancers on overlapping subnets): with the Fulcrum that made them, delete all but one of the load balancers holding it (ip_allocation.owner_id), then upgrade again', dup.address, dup.network_id;
  end if;
end $$;
alter table ip_allocation
  add constraint ip_allocation_subnet_network foreign key (subnet_id, network_id) references subnet (id, network_id) on delete restrict;
alter table ip_allocation add constraint ip_allocation_network_address unique (network_id, address);

-- The controller CA's private key is sealed under the operator's secret key (key_sealed); a key
-- an older Fulcrum stored in key_pem is sealed and cleared by the first process that starts
-- (src/pki/ca-store.ts), since the secret key never enters the database.
alter table certificate_authority add column key_sealed text;
alter table certificate_authority alter column key_pem drop not null;

-- Jobs are paged like every list, by (created_at, id) from a marker row read back into the
-- API: at the millisecond precision the API holds, as on every other table, so the marker row
-- compares equal to itself.
alter table job alter column created_at type timestamptz(3);
