// The noop network driver: accepts any UUID as a VIP subnet, network or port, for API-only
// deployments. Addresses it makes up come from 198.18.0.0/15, a range no tenant network uses.
import { randomInt, randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { Conflict } from '../errors.ts';
import type { NetworkDriver, Vip, VipRequest } from './network-driver.ts';

async function addressInUse(trx: Transaction<Schema>, address: string, networkId: string): Promise<boolean> {
  const row = await trx
    .selectFrom('load_balancer')
    .select('id')
    .where('vip_address', '=', address)
    .where('vip_network_id', '=', networkId)
    .where('provisioning_status', '<>', 'DELETED')
    .executeTakeFirst();
  return row !== undefined;
}

export class NoopNetworkDriver implements NetworkDriver {
  readonly name = 'noop';

  async allocateVip(trx: Transaction<Schema>, request: VipRequest): Promise<Vip> {
    // Without a network service, a subnet stands for its own network.
    const networkId = request.networkId ?? request.subnetId ?? randomUUID();
    let address = request.address;
    if (address) {
      if (await addressInUse(trx, address, networkId)) throw new Conflict(`The VIP IP address is already in use: ${address}`);
    } else {
      do {
        const n = randomInt(1, 2 ** 17 - 1);
        address = `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
      } while (await addressInUse(trx, address, networkId));
    }
    return { address, portId: request.portId ?? randomUUID(), subnetId: request.subnetId, networkId };
  }

  async checkSubnet(): Promise<void> {}
}
