// `fulcrum network create|list` and `fulcrum subnet create|list`: register the networks and
// subnets VIPs are allocated from, on the configured database (what an operator does once on
// an empty PostgreSQL, before the first load balancer). Same rules as POST /v2/fulcrum/networks
// and /v2/fulcrum/subnets; with the embedded database, `fulcrum serve` holds it, so use the
// API while it runs.
import { Command } from 'commander';
import type { FulcrumConfig } from '../config.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { FulcrumError } from '../errors.ts';
import { createNetwork, createSubnet, listNetworks, listSubnets } from '../network/registration.ts';
import { databaseUrl } from '../runtime.ts';

/** An unmigrated PostgreSQL answers "relation … does not exist": say what to run instead. */
function explain(err: unknown): unknown {
  if (err instanceof Error && /relation "[a-z_]+" does not exist/.test(err.message)) {
    return new FulcrumError('LB_ERR_CONFIG', 1, `the database has no Fulcrum schema yet (${err.message}): run "fulcrum migrate" first`);
  }
  return err;
}

async function withDatabase<T>(config: FulcrumConfig, fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(databaseUrl(config));
  try {
    return await fn(database);
  } catch (err) {
    throw explain(err);
  } finally {
    await database.close();
  }
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

export function networkCommand(config: () => FulcrumConfig): Command {
  const command = new Command('network').description('register the networks VIPs come from (beside POST /v2/fulcrum/networks)');
  command
    .command('create')
    .description('create a network; then add subnets to it with "fulcrum subnet create"')
    .requiredOption('--name <name>', 'a name (subnet create and the Neutron subset find it by name)')
    .option('--project <project>', 'owning project; without one the network is shared by every project')
    .action(async (opts: { name: string; project?: string }) => {
      const network = await withDatabase(config(), (d) => createNetwork(d.db, { name: opts.name, projectId: opts.project ?? null }));
      console.log(`id:      ${network.id}`);
      console.log(`name:    ${network.name}`);
      console.log(`project: ${network.project_id ?? '(shared)'}`);
    });
  command
    .command('list')
    .description('list networks and their subnets')
    .action(async () => {
      const networks = await withDatabase(config(), (d) => listNetworks(d.db));
      console.log(networks.length ? table(['ID', 'NAME', 'PROJECT', 'SUBNETS'], networks.map((n) => [n.id, n.name || '-', n.project_id ?? '(shared)', n.subnets.join(',') || '-'])) : 'no networks');
    });
  return command;
}

export function subnetCommand(config: () => FulcrumConfig): Command {
  const command = new Command('subnet').description('register the subnets VIPs are allocated from (beside POST /v2/fulcrum/subnets)');
  command
    .command('create')
    .description('add a subnet to a network; load balancers take VIPs from it (vip_subnet_id)')
    .requiredOption('--network <network>', 'the network, by id or name')
    .requiredOption('--cidr <cidr>', 'addresses of the subnet, e.g. 192.0.2.0/24')
    .option('--name <name>', 'a name (the openstack CLI resolves --vip-subnet-id by name)')
    .option('--gateway <address>', "the subnet's gateway, inside the CIDR; never handed out as a VIP")
    .action(async (opts: { network: string; cidr: string; name?: string; gateway?: string }) => {
      const subnet = await withDatabase(config(), (d) => createSubnet(d.db, { network: opts.network, cidr: opts.cidr, name: opts.name, gatewayIp: opts.gateway ?? null }));
      console.log(`id:      ${subnet.id}`);
      console.log(`network: ${subnet.network_id}`);
      console.log(`name:    ${subnet.name}`);
      console.log(`cidr:    ${subnet.cidr}`);
      console.log(`gateway: ${subnet.gateway_ip ?? '-'}`);
    });
  command
    .command('list')
    .description('list subnets')
    .action(async () => {
      const subnets = await withDatabase(config(), (d) => listSubnets(d.db));
      console.log(subnets.length ? table(['ID', 'NAME', 'NETWORK', 'CIDR', 'GATEWAY'], subnets.map((s) => [s.id, s.name || '-', s.network_id, s.cidr, s.gateway_ip ?? '-'])) : 'no subnets');
    });
  return command;
}
