// Creating a subnet in Fulcrum's IPAM. Subnets on one network may not share an address, as in
// Neutron: otherwise two load balancers on overlapping subnets could be given the same VIP.
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { SubnetTable } from '../db/schema.ts';
import type { Selectable } from 'kysely';
import { InvalidInput, NotFound } from '../errors.ts';
import { cidrContains, cidrFamily, cidrsOverlap, normaliseCidr } from '../model/cidr.ts';

export interface SubnetRequest {
  networkId: string;
  name: string;
  cidr: string;
  gatewayIp: string | null;
}

export async function createSubnet(db: Db, request: SubnetRequest): Promise<Selectable<SubnetTable>> {
  const cidr = normaliseCidr(request.cidr);
  if (request.gatewayIp && !cidrContains(cidr, request.gatewayIp)) throw new InvalidInput(`gateway_ip ${request.gatewayIp} is not inside ${cidr}.`);
  return db.transaction().execute(async (trx) => {
    // The network row lock makes the overlap check and the insert one step for every API
    // process: of two overlapping creates, the second sees the first's subnet.
    const network = await trx.selectFrom('network').select('id').where('id', '=', request.networkId).forUpdate().executeTakeFirst();
    if (!network) throw new NotFound('Network', request.networkId);
    const others = await trx.selectFrom('subnet').select('cidr').where('network_id', '=', network.id).execute();
    if (others.some((s) => cidrsOverlap(s.cidr, cidr))) {
      throw new InvalidInput(`Invalid input for operation: Requested subnet with cidr: ${cidr} for network: ${network.id} overlaps with another subnet.`);
    }
    return trx
      .insertInto('subnet')
      .values({ id: randomUUID(), network_id: network.id, name: request.name, cidr, ip_version: cidrFamily(cidr), gateway_ip: request.gatewayIp })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}
