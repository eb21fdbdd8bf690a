// Where VIP addresses come from. Allocation runs inside the API transaction (it is a database
// operation, not a call to a remote service), so the create response already carries the VIP.
import type { Transaction } from 'kysely';
import type { Schema } from '../db/schema.ts';

export interface VipRequest {
  /** The load balancer the VIP is for; the address is released when it is deleted. */
  ownerId: string;
  subnetId: string | null;
  networkId: string | null;
  portId: string | null;
  address: string | null;
}

export interface Vip {
  address: string;
  portId: string;
  subnetId: string | null;
  networkId: string;
}

export interface NetworkDriver {
  readonly name: string;
  /** Throws InvalidInput/Conflict (400/409) for an unknown subnet or an address in use. */
  allocateVip(trx: Transaction<Schema>, request: VipRequest): Promise<Vip>;
  /** Throws InvalidInput (400) when a member's subnet is unknown. */
  checkSubnet(trx: Transaction<Schema>, subnetId: string): Promise<void>;
}
