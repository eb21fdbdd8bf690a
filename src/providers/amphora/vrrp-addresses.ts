// The VRRP addresses of an ACTIVE_STANDBY pair: each amphora's own address on the VIP subnet,
// the source and peer of its unicast adverts. They are held in ip_allocation by the load
// balancer (owner_type 'vrrp'), so they go with its VIP when it is deleted, and a replacement
// amphora takes over the address of the one it replaces: its peer's keepalived.conf names that
// address already and needs no reload.
import { createHash } from 'node:crypto';
import type { Db } from '../../db/database.ts';
import { PermanentFailure } from '../../flows/flow.ts';
import { firstFreeAddress } from '../../model/cidr.ts';

export const VRRP_OWNER_TYPE = 'vrrp';

/** Unicast adverts only reach the peer, so the id need not be unique; spread it anyway. */
export function virtualRouterId(loadBalancerId: string): number {
  return (createHash('sha256').update(loadBalancerId).digest()[0] % 255) + 1;
}

/**
 * An address of the load balancer's VRRP pool that no amphora in `inUse` holds: a free one it
 * holds already, or a new one taken from the VIP subnet (under the subnet row lock, like VIPs).
 */
export async function takeVrrpAddress(db: Db, lb: { id: string; vip_subnet_id: string | null }, inUse: ReadonlySet<string>): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const subnet = lb.vip_subnet_id ? await trx.selectFrom('subnet').select(['id', 'network_id', 'cidr', 'gateway_ip']).where('id', '=', lb.vip_subnet_id).forUpdate().executeTakeFirst() : undefined;
    if (!subnet) {
      throw new PermanentFailure(`ACTIVE_STANDBY needs the VIP on a subnet of Fulcrum's IPAM (FULCRUM_NETWORK_DRIVER=local) for the amphorae's VRRP addresses; load balancer ${lb.id} has none`);
    }
    const held = await trx.selectFrom('ip_allocation').select('address').where('owner_id', '=', lb.id).where('owner_type', '=', VRRP_OWNER_TYPE).orderBy('address').execute();
    const spare = held.find((h) => !inUse.has(h.address));
    if (spare) return spare.address;
    const taken = new Set((await trx.selectFrom('ip_allocation').select('address').where('subnet_id', '=', subnet.id).execute()).map((r) => r.address));
    if (subnet.gateway_ip) taken.add(subnet.gateway_ip);
    const address = firstFreeAddress(subnet.cidr, taken);
    if (!address) throw new PermanentFailure(`subnet ${subnet.id} has no free address for a VRRP address of load balancer ${lb.id}`);
    await trx.insertInto('ip_allocation').values({ network_id: subnet.network_id, subnet_id: subnet.id, address, owner_type: VRRP_OWNER_TYPE, owner_id: lb.id }).execute();
    return address;
  });
}
