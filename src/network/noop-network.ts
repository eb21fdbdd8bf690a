// The noop network driver: accepts any UUID as a VIP subnet, network or port, for API-only
// deployments. Addresses it makes up come from 198.18.0.0/15, a range no tenant network uses.
import { randomInt, randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { Conflict } from '../errors.ts';
import type { AdditionalVipRequest, NetworkDriver, Vip, VipRequest } from './network-driver.ts';

async function addressInUse(trx: Transaction<Schema>, address: string, networkId: string): Promise<boolean> {
  const row = await trx
    .selectFrom('load_balancer')
    .select('id')
    .where('vip_address', '=', address)
    .where('vip_network_id', '=', networkId)
    .where('provisioning_status', '<>', 'DELETED')
    .executeTakeFirst();
  if (row) return true;
  const additional = await trx
    .selectFrom('load_balancer')
    .select('id')
    .where(sql<boolean>`additional_vips @> ${JSON.stringify([{ ip_address: address }])}::jsonb`)
    .where('vip_network_id', '=', networkId)
    .where('provisioning_status', '<>', 'DELETED')
    .executeTakeFirst();
  return additional !== undefined;
}

async function freeAddress(trx: Transaction<Schema>, networkId: string, requested: string | null): Promise<string> {
  if (requested) {
    if (await addressInUse(trx, requested, networkId)) throw new Conflict(`The VIP IP address is already in use: ${requested}`);
    return requested;
  }
  let address: string;
  do {
    const n = randomInt(1, 2 ** 17 - 1);
    address = `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
  } while (await addressInUse(trx, address, networkId));
  return address;
}

export class NoopNetworkDriver implements NetworkDriver {
  readonly name = 'noop';

  async allocateVip(trx: Transaction<Schema>, request: VipRequest): Promise<Vip> {
    // Without a network service, a subnet stands for its own network.
    const networkId = request.networkId ?? request.subnetId ?? randomUUID();
    const address = await freeAddress(trx, networkId, request.address);
    return { address, portId: request.portId ?? randomUUID(), subnetId: request.subnetId, networkId };
  }

  // Any subnet is taken to be on the primary VIP's network: there is nothing to ask.
  async allocateAdditionalVip(trx: Transaction<Schema>, request: AdditionalVipRequest): Promise<Vip> {
    const address = await freeAddress(trx, request.networkId, request.address);
    return { address, portId: randomUUID(), subnetId: request.subnetId, networkId: request.networkId };
  }

  async checkSubnet(): Promise<void> {}
}
