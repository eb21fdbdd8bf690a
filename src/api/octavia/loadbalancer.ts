// Load balancer ⇄ Octavia JSON (docs/octavia-compatibility.md §5.1).
import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { LoadBalancerTable } from '../../db/schema.ts';
import { idsByParents } from '../../db/relations.ts';
import { baseFields, idRefs, text } from './common.ts';
import { IpAddress, Nullable, Strict, Tags, Type, Uuid, Wrapped, ProjectFields, DescribedFields } from './schema-types.ts';
import { LoadBalancerTreeFields } from './loadbalancer-tree.ts';

export type LoadBalancerRow = Selectable<LoadBalancerTable>;

/** v2.26: further VIPs on other subnets of the primary VIP's network; `port_id` is response-only. */
const AdditionalVips = Type.Array(Strict({ subnet_id: Uuid, ip_address: Type.Optional(IpAddress) }));

/** v2.29: user security groups on the VIP port; null means none. */
const VipSecurityGroupIds = Nullable(Type.Array(Uuid));

export const LoadBalancerCreate = Wrapped(
  'loadbalancer',
  Strict({
    ...DescribedFields,
    ...ProjectFields,
    vip_address: Type.Optional(IpAddress),
    vip_port_id: Type.Optional(Uuid),
    vip_subnet_id: Type.Optional(Uuid),
    vip_network_id: Type.Optional(Uuid),
    vip_qos_policy_id: Type.Optional(Uuid),
    vip_sg_ids: Type.Optional(VipSecurityGroupIds),
    provider: Type.Optional(Type.String({ maxLength: 64 })),
    flavor_id: Type.Optional(Uuid),
    availability_zone: Type.Optional(Type.String({ maxLength: 255 })),
    tags: Type.Optional(Tags),
    additional_vips: Type.Optional(AdditionalVips),
    // A fully-populated create (docs/octavia-compatibility.md §5.2).
    ...LoadBalancerTreeFields,
  }),
);

export const LoadBalancerUpdate = Wrapped(
  'loadbalancer',
  Strict({
    ...DescribedFields,
    vip_qos_policy_id: Type.Optional(Nullable(Uuid)),
    vip_sg_ids: Type.Optional(VipSecurityGroupIds),
    tags: Type.Optional(Tags),
  }),
);

export function loadBalancerFields(row: LoadBalancerRow) {
  return {
    ...baseFields(row),
    name: text(row.name),
    description: text(row.description),
    vip_address: row.vip_address,
    vip_port_id: row.vip_port_id,
    vip_subnet_id: row.vip_subnet_id,
    vip_network_id: row.vip_network_id,
    vip_qos_policy_id: row.vip_qos_policy_id,
    vip_sg_ids: [],
    vip_vnic_type: 'normal',
    additional_vips: row.additional_vips.map((v) => ({ subnet_id: v.subnet_id, ip_address: v.ip_address, port_id: v.port_id })),
    provider: row.provider,
    flavor_id: row.flavor_id,
    availability_zone: row.availability_zone,
  };
}

export async function serializeLoadBalancers(db: Db, rows: LoadBalancerRow[]) {
  const ids = rows.map((r) => r.id);
  const { listeners, pools } = await idsByParents(
    db,
    { listeners: { table: 'listener', column: 'load_balancer_id' }, pools: { table: 'pool', column: 'load_balancer_id' } },
    ids,
  );
  return rows.map((row) => ({
    ...loadBalancerFields(row),
    listeners: idRefs(listeners.get(row.id)),
    pools: idRefs(pools.get(row.id)),
  }));
}
