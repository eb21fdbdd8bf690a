// Registering the networks and subnets VIPs come from, for callers below the API: the
// `fulcrum network` / `fulcrum subnet` commands and the `local` network `serve` registers.
// Same rules as the management API's routes.
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Db } from '../db/database.ts';
import { Conflict, InvalidInput, NotFound } from '../errors.ts';
import { cidrFamily, normaliseCidr } from '../model/cidr.ts';
import { createSubnet as createSubnetOnNetwork } from './subnets.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_NAME = 255;

export interface NetworkRow {
  id: string;
  name: string;
  project_id: string | null;
  created_at: Date;
}

export interface SubnetRow {
  id: string;
  network_id: string;
  name: string;
  cidr: string;
  ip_version: number;
  gateway_ip: string | null;
  created_at: Date;
}

function checkName(name: string): void {
  if (name.length > MAX_NAME) throw new InvalidInput(`name must be at most ${MAX_NAME} characters.`);
}

export async function createNetwork(db: Db, input: { name?: string; projectId?: string | null }): Promise<NetworkRow> {
  checkName(input.name ?? '');
  if (input.projectId && input.projectId.length > 36) throw new InvalidInput('project_id must be at most 36 characters.');
  return db
    .insertInto('network')
    .values({ id: randomUUID(), name: input.name ?? '', project_id: input.projectId ?? null })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** `network` is an id or the name of exactly one network. */
export async function findNetwork(db: Db, network: string): Promise<NetworkRow> {
  const rows = UUID.test(network)
    ? await db.selectFrom('network').selectAll().where('id', '=', network.toLowerCase()).execute()
    : await db.selectFrom('network').selectAll().where('name', '=', network).execute();
  if (rows.length === 0) throw new NotFound('Network', network);
  if (rows.length > 1) throw new Conflict(`${rows.length} networks are named ${JSON.stringify(network)}: give the id.`);
  return rows[0];
}

/** `network` may be a name here; the subnet rules themselves are createSubnet's in subnets.ts. */
export async function createSubnet(db: Db, input: { network: string; cidr: string; name?: string; gatewayIp?: string | null }): Promise<SubnetRow> {
  checkName(input.name ?? '');
  if (cidrFamily(input.cidr) === 0) throw new InvalidInput(`cidr ${JSON.stringify(input.cidr)} is not a CIDR (e.g. 192.0.2.0/24 or 2001:db8::/64).`);
  const gateway = input.gatewayIp ?? null;
  if (gateway !== null && isIP(gateway) === 0) throw new InvalidInput(`gateway_ip ${gateway} is not an IP address.`);
  const network = await findNetwork(db, input.network);
  return createSubnetOnNetwork(db, { networkId: network.id, name: input.name ?? '', cidr: input.cidr, gatewayIp: gateway });
}

export async function listNetworks(db: Db): Promise<(NetworkRow & { subnets: string[] })[]> {
  const networks = await db.selectFrom('network').selectAll().orderBy('created_at').orderBy('id').execute();
  const subnets = await db.selectFrom('subnet').select(['id', 'network_id']).orderBy('created_at').orderBy('id').execute();
  return networks.map((n) => ({ ...n, subnets: subnets.filter((s) => s.network_id === n.id).map((s) => s.id) }));
}

export function listSubnets(db: Db): Promise<SubnetRow[]> {
  return db.selectFrom('subnet').selectAll().orderBy('created_at').orderBy('id').execute();
}

/** The network and subnet named `name`, registered with `cidr` when there is none yet. */
export async function ensureNetwork(db: Db, name: string, cidr: string): Promise<{ networkId: string; subnetId: string; cidr: string }> {
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('subnet').select(['id', 'network_id', 'cidr']).where('name', '=', name).executeTakeFirst();
    if (existing) return { networkId: existing.network_id, subnetId: existing.id, cidr: existing.cidr };
    const networkId = randomUUID();
    const subnetId = randomUUID();
    await trx.insertInto('network').values({ id: networkId, name }).execute();
    await trx.insertInto('subnet').values({ id: subnetId, network_id: networkId, name, cidr: normaliseCidr(cidr), ip_version: cidrFamily(cidr) }).execute();
    return { networkId, subnetId, cidr: normaliseCidr(cidr) };
  });
}

