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

export interface AdditionalVipRequest {
  ownerId: string;
  /** The primary VIP's network. */
  networkId: string;
  subnetId: string;
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
  /**
   * One of a load balancer's additional VIPs (API v2.26), on the primary VIP's network: 400
   * for an unknown subnet or one on another network, 409 for an address in use.
   */
  allocateAdditionalVip(trx: Transaction<Schema>, request: AdditionalVipRequest): Promise<Vip>;
  /** Throws InvalidInput (400) when a member's subnet is unknown. */
  checkSubnet(trx: Transaction<Schema>, subnetId: string): Promise<void>;
}
