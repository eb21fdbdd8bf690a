-- Each machine's controller registers its own agent as a host of its own (docs/architecture.md
-- §10), no longer all of them as one row `local`. Those agents listen on the loopback address,
-- so the agents of two machines may have the same address and port: only joined hosts, whose
-- address is reachable from everywhere, keep address and port unique.
ALTER TABLE host DROP CONSTRAINT host_address_port_key;
CREATE UNIQUE INDEX host_joined_address_port_key ON host (address, port) WHERE kind = 'joined';
