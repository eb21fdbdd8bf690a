// Inserting members (their columns, initial operating status and address check), shared by the
// member routes, the batch update and a fully-populated LB create.
import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { ApiDeps } from '../deps.ts';
import type { MemberCreate, MemberRow } from '../octavia/member.ts';
import type { PoolRow } from '../octavia/pool.ts';
import type { Trx } from '../write-path.ts';
import { Conflict } from '../../errors.ts';
import { newMemberSettings, type MemberSettings } from '../../model/member.ts';

export type NewMember = Static<typeof MemberCreate>['member'];

/** Member settings as columns, the tags as JSON. */
export function memberColumns(settings: Partial<MemberSettings>) {
  const { tags, ...rest } = settings;
  return tags === undefined ? rest : { ...rest, tags: JSON.stringify(tags) };
}

/** Members of a monitored pool start OFFLINE, others NO_MONITOR (docs/octavia-compatibility.md §4.4). */
async function initialOperatingStatus(trx: Trx, poolId: string): Promise<'OFFLINE' | 'NO_MONITOR'> {
  const monitor = await trx.selectFrom('health_monitor').select('id').where('pool_id', '=', poolId).executeTakeFirst();
  return monitor ? 'OFFLINE' : 'NO_MONITOR';
}

export async function insertMembers(trx: Trx, pool: PoolRow, members: NewMember[]): Promise<MemberRow[]> {
  if (members.length === 0) return [];
  const operatingStatus = await initialOperatingStatus(trx, pool.id);
  const rows = members.map((m) => ({
    id: randomUUID(),
    project_id: pool.project_id,
    pool_id: pool.id,
    address: m.address,
    protocol_port: m.protocol_port,
    provisioning_status: 'PENDING_CREATE',
    operating_status: operatingStatus,
    ...memberColumns(newMemberSettings(m)),
  }));
  return trx.insertInto('member').values(rows).returningAll().execute();
}

async function assertAddressFree(trx: Trx, poolId: string, member: NewMember): Promise<void> {
  const taken = await trx
    .selectFrom('member')
    .select('id')
    .where('pool_id', '=', poolId)
    .where('address', '=', member.address)
    .where('protocol_port', '=', member.protocol_port)
    .executeTakeFirst();
  if (taken) {
    throw new Conflict(`Another member on this pool is already using ip ${member.address} on protocol_port ${member.protocol_port}`);
  }
}

/**
 * Inserts one new member (its address and port free on the pool, its subnet known), for its
 * POST and for a fully-populated LB create; `checkNewMember` is the caller's, before locking.
 */
export async function insertNewMember(trx: Trx, deps: ApiDeps, pool: PoolRow, member: NewMember): Promise<MemberRow> {
  await assertAddressFree(trx, pool.id, member);
  if (member.subnet_id) await deps.network.checkSubnet(trx, member.subnet_id);
  const [inserted] = await insertMembers(trx, pool, [member]);
  return inserted;
}
