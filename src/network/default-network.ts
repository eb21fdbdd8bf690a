// The network and subnet `fulcrum serve` registers on first start, so a load balancer can be
// created without first calling /v2/fulcrum/networks.
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import { cidrFamily, normaliseCidr } from '../model/cidr.ts';

/** The default network and subnet `fulcrum serve` registers on first start. */
export async function ensureNetwork(db: Db, name: string, cidr: string): Promise<{ networkId: string; subnetId: string }> {
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('subnet').select(['id', 'network_id']).where('name', '=', name).executeTakeFirst();
    if (existing) return { networkId: existing.network_id, subnetId: existing.id };
    const networkId = randomUUID();
    const subnetId = randomUUID();
    await trx.insertInto('network').values({ id: networkId, name }).execute();
    await trx.insertInto('subnet').values({ id: subnetId, network_id: networkId, name, cidr: normaliseCidr(cidr), ip_version: cidrFamily(cidr) }).execute();
    return { networkId, subnetId };
  });
}
