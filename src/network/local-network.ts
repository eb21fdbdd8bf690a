// The local network driver: VIPs come from the subnets registered in Fulcrum's own IPAM
// (/v2/fulcrum/subnets). Allocation is a row in ip_allocation, written in the caller's
// transaction, so the address is taken exactly when the load balancer is. The database holds
// each address once per network (migration 0012), so even a race the row locks missed cannot
// hand one address out twice.
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Transaction } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { Conflict, InvalidInput, ValidationFailure } from '../errors.ts';
import { canonicalAddress, cidrContains, firstFreeAddress, isHostAddress } from '../model/cidr.ts';
import type { AdditionalVipRequest, NetworkDriver, Vip, VipRequest } from './network-driver.ts';

type Trx = Transaction<Schema>;
interface SubnetRow {
  id: string;
  network_id: string;
  cidr: string;
  ip_version: number;
  gateway_ip: string | null;
}

const SUBNET_COLUMNS = ['id', 'network_id', 'cidr', 'ip_version', 'gateway_ip'] as const;

/** Addresses held anywhere on the subnet's network (subnets made before 0012 may overlap). */
async function takenAddresses(trx: Trx, subnet: SubnetRow): Promise<Set<string>> {
  const rows = await trx.selectFrom('ip_allocation').select('address').where('network_id', '=', subnet.network_id).execute();
  const taken = new Set(rows.map((r) => r.address));
  if (subnet.gateway_ip) taken.add(subnet.gateway_ip);
  return taken;
}

export class LocalNetworkDriver implements NetworkDriver {
  readonly name = 'local';

  async checkSubnet(trx: Trx, subnetId: string): Promise<void> {
    const row = await trx.selectFrom('subnet').select('id').where('id', '=', subnetId).executeTakeFirst();
    if (!row) throw new InvalidInput(`Subnet ${subnetId} not found.`);
  }

  async allocateVip(trx: Trx, request: VipRequest): Promise<Vip> {
    if (request.portId) {
      throw new ValidationFailure('the local network driver creates VIP ports itself; give vip_subnet_id or vip_network_id instead of vip_port_id.');
    }
    const subnet = await this.#chooseSubnet(trx, request);
    return this.#take(trx, subnet, request.address, { owner_type: 'vip', owner_id: request.ownerId });
  }

  async allocateAdditionalVip(trx: Trx, request: AdditionalVipRequest): Promise<Vip> {
    const subnet = await trx.selectFrom('subnet').select(SUBNET_COLUMNS).where('id', '=', request.subnetId).executeTakeFirst();
    if (!subnet) throw new InvalidInput(`Subnet ${request.subnetId} not found.`);
    if (subnet.network_id !== request.networkId) throw new ValidationFailure('All VIP subnets must belong to the same network.');
    return this.#take(trx, subnet, request.address, { owner_type: 'additional_vip', owner_id: request.ownerId });
  }

  /** Takes `address` (or the first free one) on the subnet for the owner. */
  async #take(trx: Trx, subnet: SubnetRow, requested: string | null, owner: { owner_type: string; owner_id: string }): Promise<Vip> {
    // The network row lock serialises allocations (and subnet creates) on one network across
    // API processes, so the first free address is still free when it is inserted.
    await trx.selectFrom('network').select('id').where('id', '=', subnet.network_id).forUpdate().execute();
    const taken = await takenAddresses(trx, subnet);
    let address = requested === null ? null : canonicalAddress(requested);
    if (address) {
      if (!isHostAddress(subnet.cidr, address)) throw new InvalidInput(`The IP Address ${requested} is invalid.`);
      if (taken.has(address)) throw new Conflict(`The VIP IP address is already in use: ${address}`);
    } else {
      address = firstFreeAddress(subnet.cidr, taken);
      if (!address) throw new ValidationFailure(`Subnet ${subnet.id} does not contain enough available IPs.`);
    }
    try {
      await trx.insertInto('ip_allocation').values({ subnet_id: subnet.id, network_id: subnet.network_id, address, ...owner }).execute();
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new Conflict(`The VIP IP address is already in use: ${address}`);
      throw err;
    }
    return { address, portId: randomUUID(), subnetId: subnet.id, networkId: subnet.network_id };
  }

  async #chooseSubnet(trx: Trx, request: VipRequest): Promise<SubnetRow> {
    const columns = SUBNET_COLUMNS;
    if (request.subnetId) {
      const subnet = await trx.selectFrom('subnet').select(columns).where('id', '=', request.subnetId).executeTakeFirst();
      if (!subnet) throw new InvalidInput(`Subnet ${request.subnetId} not found.`);
      if (request.networkId && subnet.network_id !== request.networkId) {
        throw new ValidationFailure(`Subnet ${subnet.id} is not on network ${request.networkId}.`);
      }
      return subnet;
    }
    const network = await trx.selectFrom('network').select('id').where('id', '=', request.networkId!).executeTakeFirst();
    if (!network) throw new InvalidInput(`Network ${request.networkId} not found.`);
    const subnets = await trx.selectFrom('subnet').select(columns).where('network_id', '=', network.id).orderBy('ip_version').orderBy('created_at').execute();
    if (request.address) {
      const match = subnets.find((s) => cidrContains(s.cidr, request.address!));
      if (!match) throw new InvalidInput(`The IP Address ${request.address} is invalid.`);
      return match;
    }
    for (const subnet of subnets) {
      if (firstFreeAddress(subnet.cidr, await takenAddresses(trx, subnet))) return subnet;
    }
    throw new ValidationFailure('Subnet(s) in the supplied network do not contain enough available IPs.');
  }
}

export function ipVersionOf(cidr: string): 4 | 6 {
  return isIP(cidr.split('/')[0]) === 6 ? 6 : 4;
}
