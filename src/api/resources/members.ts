// /v2/lbaas/pools/{pool_id}/members (docs/octavia-compatibility.md §5.5), including the batch update.
import type { FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { type Static, Type } from '../octavia/schema-types.ts';
import { COMMON_ATTRS, fetchRow, listResource, showResource, type ResourceSpec } from '../resource.ts';
import { MemberBatchUpdate, MemberCreate, MemberUpdate, serializeMembers, type MemberRow } from '../octavia/member.ts';
import { enqueueOperation, lockPoolForChild, NOW } from '../write-path.ts';
import { checkQuota } from '../quota-check.ts';
import { parseBool } from '../../model/list-query.ts';
import { InvalidInput, NotFound } from '../../errors.ts';
import { poolSpec } from '../resource-specs.ts';
import { insertMembers, insertNewMember, memberColumns } from '../writes/member-rows.ts';
import type { PoolRow } from '../octavia/pool.ts';
import { checkNewMember, memberChanges } from '../../model/member.ts';
import { assertUniqueMembers, isEmptyPlan, planMemberBatch, type ExistingMember } from '../../model/member-batch.ts';
import { ref, type ObjectRef } from '../../model/operation.ts';

const memberSpec: ResourceSpec<MemberRow> = {
  table: 'member',
  displayName: 'Member',
  single: 'member',
  plural: 'members',
  attrs: {
    ...COMMON_ATTRS,
    address: { column: 'address', type: 'string' },
    protocol_port: { column: 'protocol_port', type: 'int' },
    weight: { column: 'weight', type: 'int' },
    backup: { column: 'backup', type: 'bool' },
    subnet_id: { column: 'subnet_id', type: 'uuid' },
    monitor_address: { column: 'monitor_address', type: 'string' },
    monitor_port: { column: 'monitor_port', type: 'int' },
    vnic_type: { column: 'vnic_type', type: 'string' },
  },
  serialize: serializeMembers,
};

const PoolParams = Type.Object({ pool_id: Type.String() });
const MemberParams = Type.Object({ pool_id: Type.String(), id: Type.String() });

/** A batch that would change nothing rolls its transaction back, so the LB is never locked. */
class NothingToChange extends Error {}

function additiveOnly(request: FastifyRequest): boolean {
  const raw = (request.query as Record<string, unknown>).additive_only;
  if (raw === undefined) return false;
  const value = typeof raw === 'string' ? parseBool(raw) : undefined;
  if (value === undefined) throw new InvalidInput(`Invalid input for field/attribute additive_only. Value: '${String(raw)}'.`);
  return value;
}

function existingMember(row: MemberRow): ExistingMember {
  return { ...row, name: row.name ?? '' };
}

function memberRefs(ids: string[]): ObjectRef[] {
  return ids.map((id) => ref('member', id));
}

export async function memberRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/lbaas/pools/:pool_id/members';

  const poolOf = (request: FastifyRequest & { params: Static<typeof PoolParams> }) => fetchRow(request, db, poolSpec, request.params.pool_id);

  /** The addressed member, 404 also when it belongs to another pool. */
  async function memberOf(request: FastifyRequest & { params: Static<typeof MemberParams> }): Promise<{ pool: PoolRow; member: MemberRow }> {
    const pool = await poolOf(request);
    const { id } = request.params;
    const member = await fetchRow(request, db, memberSpec, id);
    if (member.pool_id !== pool.id) throw new NotFound('Member', id);
    return { pool, member };
  }

  app.get(base, { config: { policy: 'member:get_all' }, schema: { params: PoolParams } }, async (request) => {
    const pool = await poolOf(request);
    return listResource(request, deps, memberSpec, { pool_id: pool.id });
  });

  app.get(`${base}/:id`, { config: { policy: 'member:get_one' }, schema: { params: MemberParams } }, async (request) => {
    const { member } = await memberOf(request);
    return showResource(request, deps, memberSpec, member.id);
  });

  app.post(base, { config: { policy: 'member:post' }, schema: { params: PoolParams, body: MemberCreate } }, async (request, reply) => {
    const body = request.body.member;
    const pool = await poolOf(request);
    checkNewMember(body);
    const row = await db.transaction().execute(async (trx) => {
      const { lb, locked } = await lockPoolForChild(trx, pool);
      await checkQuota(trx, deps.config, lb.project_id, { member: 1 });
      const inserted = await insertNewMember(trx, deps, pool, body);
      await enqueueOperation(trx, deps, {
        action: 'create',
        target: ref('member', inserted.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [ref('member', inserted.id)],
        updated: [],
        deleted: [],
        locked,
      });
      return inserted;
    });
    const [obj] = await serializeMembers(db, [row]);
    return reply.status(201).send({ member: obj });
  });

  app.put(base, { config: { policy: 'member:put' }, schema: { params: PoolParams, body: MemberBatchUpdate } }, async (request, reply) => {
    const desired = request.body.members;
    const additive = additiveOnly(request);
    const pool = await poolOf(request);
    assertUniqueMembers(desired);
    try {
      await db.transaction().execute(async (trx) => {
        const { lb, locked } = await lockPoolForChild(trx, pool);
        const existing = await trx.selectFrom('member').selectAll().where('pool_id', '=', pool.id).execute();
        const plan = planMemberBatch(existing.map(existingMember), desired, additive);
        if (isEmptyPlan(plan)) throw new NothingToChange();
        plan.create.forEach(checkNewMember);
        // The batch's end state must fit: members it deletes still count until they are gone.
        await checkQuota(trx, deps.config, lb.project_id, { member: plan.create.length - plan.delete.length });
        for (const m of plan.create) if (m.subnet_id) await deps.network.checkSubnet(trx, m.subnet_id);
        const created = await insertMembers(trx, pool, plan.create);
        for (const { id, changes } of plan.update) {
          await trx
            .updateTable('member')
            .set({ ...memberColumns(changes), provisioning_status: 'PENDING_UPDATE', updated_at: NOW })
            .where('id', '=', id)
            .execute();
        }
        if (plan.delete.length > 0) {
          await trx.updateTable('member').set({ provisioning_status: 'PENDING_DELETE' }).where('id', 'in', plan.delete).execute();
        }
        await enqueueOperation(trx, deps, {
          action: 'update',
          target: ref('pool', pool.id),
          loadBalancerId: lb.id,
          provider: lb.provider,
          created: memberRefs(created.map((m) => m.id)),
          updated: memberRefs(plan.update.map((u) => u.id)),
          deleted: memberRefs(plan.delete),
          locked,
        });
      });
    } catch (err) {
      if (!(err instanceof NothingToChange)) throw err;
    }
    return reply.status(202).send();
  });

  app.put(`${base}/:id`, { config: { policy: 'member:put' }, schema: { params: MemberParams, body: MemberUpdate } }, async (request) => {
    const body = request.body.member;
    const { pool, member } = await memberOf(request);
    const changes = memberChanges(body);
    const row = await db.transaction().execute(async (trx) => {
      const { lb, locked } = await lockPoolForChild(trx, pool);
      const updated = await trx
        .updateTable('member')
        .set({ ...memberColumns(changes), provisioning_status: 'PENDING_UPDATE', updated_at: NOW })
        .where('id', '=', member.id)
        .returningAll()
        .executeTakeFirst();
      if (!updated) throw new NotFound('Member', member.id);
      await enqueueOperation(trx, deps, {
        action: 'update',
        target: ref('member', member.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [],
        updated: [ref('member', member.id)],
        deleted: [],
        locked,
        changes,
      });
      return updated;
    });
    const [obj] = await serializeMembers(db, [row]);
    return { member: obj };
  });

  app.delete(`${base}/:id`, { config: { policy: 'member:delete' }, schema: { params: MemberParams } }, async (request, reply) => {
    const { pool, member } = await memberOf(request);
    await db.transaction().execute(async (trx) => {
      const { lb, locked } = await lockPoolForChild(trx, pool);
      const deleted = await trx
        .updateTable('member')
        .set({ provisioning_status: 'PENDING_DELETE' })
        .where('id', '=', member.id)
        .returning('id')
        .executeTakeFirst();
      if (!deleted) throw new NotFound('Member', member.id);
      await enqueueOperation(trx, deps, {
        action: 'delete',
        target: ref('member', member.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [],
        updated: [],
        deleted: [ref('member', member.id)],
        locked,
      });
    });
    return reply.status(204).send();
  });
}
