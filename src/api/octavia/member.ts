// Member ⇄ Octavia JSON (docs/octavia-compatibility.md §5.5). The response has no pool_id: the path carries it.
import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { MemberTable } from '../../db/schema.ts';
import { LIMITS } from '../../model/enums.ts';
import { baseFields, text } from './common.ts';
import { AdminStateUp, IpAddress, Name, Nullable, Port, Strict, Tags, Type, Uuid, Wrapped, ProjectFields } from './schema-types.ts';

export type MemberRow = Selectable<MemberTable>;

const Weight = Type.Integer({ minimum: LIMITS.weight.min, maximum: LIMITS.weight.max });

const MutableFields = {
  name: Type.Optional(Nullable(Name)),
  admin_state_up: Type.Optional(AdminStateUp),
  weight: Type.Optional(Nullable(Weight)),
  backup: Type.Optional(Nullable(Type.Boolean())),
  monitor_address: Type.Optional(Nullable(IpAddress)),
  monitor_port: Type.Optional(Nullable(Port)),
  tags: Type.Optional(Tags),
};

/** One member as POST takes it, and as each entry of a batch update. */
const MemberPost = Strict({
  ...MutableFields,
  address: IpAddress,
  protocol_port: Port,
  subnet_id: Type.Optional(Nullable(Uuid)),
  request_sriov: Type.Optional(Nullable(Type.Boolean())),
  ...ProjectFields,
});

export const MemberCreate = Wrapped('member', MemberPost);
export const MemberUpdate = Wrapped('member', Strict(MutableFields));
export const MemberBatchUpdate = Wrapped('members', Type.Array(MemberPost));

export function memberFields(row: MemberRow) {
  return {
    ...baseFields(row),
    name: text(row.name),
    address: row.address,
    protocol_port: row.protocol_port,
    weight: row.weight,
    backup: row.backup,
    subnet_id: row.subnet_id,
    monitor_address: row.monitor_address,
    monitor_port: row.monitor_port,
    vnic_type: row.vnic_type,
  };
}

export async function serializeMembers(_db: Db, rows: MemberRow[]) {
  return rows.map(memberFields);
}
