// A new load balancer's additional VIPs (API v2.26, docs/octavia-compatibility.md §5.1): each on its own subnet
// (the primary's included), all on the primary VIP's network, allocated in the create's
// transaction from the same network driver as the primary and released with it.
import { Conflict, ValidationFailure } from '../errors.ts';
import type { AdditionalVip } from '../db/schema.ts';
import type { NetworkDriver, Vip } from '../network/network-driver.ts';
import type { Trx } from './write-path.ts';

export interface AdditionalVipRequest {
  subnet_id: string;
  ip_address?: string;
}

/** Throws 400 when a subnet is asked for twice, or is the primary VIP's. Pure. */
export function checkAdditionalVipSubnets(primarySubnetId: string | null, requested: readonly AdditionalVipRequest[]): void {
  const seen = new Set(primarySubnetId ? [primarySubnetId.toLowerCase()] : []);
  for (const vip of requested) {
    const subnet = vip.subnet_id.toLowerCase();
    if (seen.has(subnet)) throw new ValidationFailure('Duplicate VIP subnet(s) specified. Only one IP can be bound per subnet.');
    seen.add(subnet);
  }
}

export async function allocateAdditionalVips(
  trx: Trx,
  network: NetworkDriver,
  ownerId: string,
  primary: Vip,
  requested: readonly AdditionalVipRequest[],
): Promise<AdditionalVip[]> {
  checkAdditionalVipSubnets(primary.subnetId, requested);
  const vips: AdditionalVip[] = [];
  const addresses = new Set([primary.address]);
  for (const want of requested) {
    const vip = await network.allocateAdditionalVip(trx, {
      ownerId,
      networkId: primary.networkId,
      subnetId: want.subnet_id.toLowerCase(),
      address: want.ip_address ?? null,
    });
    // A driver without IPAM (noop) cannot see the addresses this request took before.
    if (addresses.has(vip.address)) throw new Conflict(`The VIP IP address is already in use: ${vip.address}`);
    addresses.add(vip.address);
    vips.push({ subnet_id: vip.subnetId ?? want.subnet_id, ip_address: vip.address, port_id: vip.portId });
  }
  return vips;
}
