// /v2/lbaas/l7policies/{l7policy_id}/rules (docs/octavia-compatibility.md §5.8): a change needs the policy ACTIVE
// and locks it with its listener and the LB; at most 50 rules a policy.
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { Type } from '../octavia/schema-types.ts';
import { COMMON_ATTRS, fetchRow, listResource, showResource, type ResourceSpec } from '../resource.ts';
import { L7RuleCreate, L7RuleUpdate, ruleSettings, serializeL7Rules, type L7RuleRow } from '../octavia/l7rule.ts';
import type { L7PolicyRow } from '../octavia/l7policy.ts';
import { adminStateUp } from '../octavia/common.ts';
import { checkQuota } from '../quota-check.ts';
import { enqueueOperation, lockL7PolicyForChild, NOW } from '../write-path.ts';
import { Conflict, NotFound } from '../../errors.ts';
import { MAX_RULES_PER_POLICY, mergeL7Rule, validateL7Rule } from '../../model/l7-rule.ts';
import { ref } from '../../model/operation.ts';
import { l7PolicySpec } from '../resource-specs.ts';

const { name: _rulesHaveNoName, ...RULE_COMMON_ATTRS } = COMMON_ATTRS;

const l7RuleSpec: ResourceSpec<L7RuleRow> = {
  table: 'l7rule',
  displayName: 'L7 Rule',
  single: 'rule',
  plural: 'rules',
  attrs: {
    ...RULE_COMMON_ATTRS,
    type: { column: 'type', type: 'string' },
    compare_type: { column: 'compare_type', type: 'string' },
    key: { column: 'key', type: 'string' },
    value: { column: 'value', type: 'string' },
    invert: { column: 'invert', type: 'bool' },
  },
  serialize: serializeL7Rules,
};

/** The policy named in the path; Octavia calls it "L7Policy" in this lookup's 404. */
const pathPolicySpec: ResourceSpec<L7PolicyRow> = { ...l7PolicySpec, displayName: 'L7Policy' };

const PolicyParams = Type.Object({ l7policy_id: Type.String() });
const RuleParams = Type.Object({ l7policy_id: Type.String(), id: Type.String() });

type RuleBody = Static<typeof L7RuleUpdate>['rule'];

/** The columns an update writes: the rule fields given (null invert → false) and the generic ones. */
function ruleColumns(body: RuleBody): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['type', 'compare_type', 'key', 'value'] as const) if (body[key] !== undefined) out[key] = body[key];
  if (body.invert !== undefined) out.invert = body.invert === true;
  if (body.admin_state_up !== undefined) out.admin_state_up = body.admin_state_up ?? false;
  if (body.tags !== undefined) out.tags = JSON.stringify(body.tags);
  return out;
}

export async function l7RuleRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/lbaas/l7policies/:l7policy_id/rules';

  const policyOf = (request: FastifyRequest & { params: Static<typeof PolicyParams> }) =>
    fetchRow(request, db, pathPolicySpec, request.params.l7policy_id);

  /** The load balancer a policy's rules lock, through its listener. */
  async function loadBalancerOf(policy: L7PolicyRow): Promise<string> {
    const listener = await db.selectFrom('listener').select('load_balancer_id').where('id', '=', policy.listener_id).executeTakeFirstOrThrow();
    return listener.load_balancer_id;
  }

  /** The addressed rule, 404 also when it belongs to another policy. */
  async function ruleOf(request: FastifyRequest & { params: Static<typeof RuleParams> }): Promise<{ policy: L7PolicyRow; rule: L7RuleRow }> {
    const policy = await policyOf(request);
    const { id } = request.params;
    const rule = await fetchRow(request, db, l7RuleSpec, id);
    if (rule.l7policy_id !== policy.id) throw new NotFound('L7 Rule', id);
    return { policy, rule };
  }

  app.get(base, { config: { policy: 'l7rule:get_all' }, schema: { params: PolicyParams } }, async (request) => {
    const policy = await policyOf(request);
    return listResource(request, deps, l7RuleSpec, { l7policy_id: policy.id });
  });

  app.get(`${base}/:id`, { config: { policy: 'l7rule:get_one' }, schema: { params: RuleParams } }, async (request) => {
    const { rule } = await ruleOf(request);
    return showResource(request, deps, l7RuleSpec, rule.id);
  });

  app.post(base, { config: { policy: 'l7rule:post' }, schema: { params: PolicyParams, body: L7RuleCreate } }, async (request, reply) => {
    const body = request.body.rule;
    const policy = await policyOf(request);
    const settings = { type: body.type, compare_type: body.compare_type, key: body.key ?? null, value: body.value, invert: body.invert === true };
    validateL7Rule(settings);
    const lbId = await loadBalancerOf(policy);
    const id = randomUUID();
    const row = await db.transaction().execute(async (trx) => {
      const { lb, locked } = await lockL7PolicyForChild(trx, policy.id, lbId);
      await checkQuota(trx, deps.config, lb.project_id, { l7rule: 1 });
      const { count } = await trx
        .selectFrom('l7rule')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('l7policy_id', '=', policy.id)
        .executeTakeFirstOrThrow();
      if (Number(count) >= MAX_RULES_PER_POLICY) throw new Conflict(`Too many rules on L7 policy ${policy.id}`);
      const inserted = await trx
        .insertInto('l7rule')
        .values({
          id,
          project_id: policy.project_id,
          l7policy_id: policy.id,
          admin_state_up: adminStateUp(body.admin_state_up),
          provisioning_status: 'PENDING_CREATE',
          operating_status: 'OFFLINE',
          tags: JSON.stringify(body.tags ?? []),
          ...settings,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await enqueueOperation(trx, deps, {
        action: 'create',
        target: ref('l7rule', id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [ref('l7rule', id)],
        updated: [],
        deleted: [],
        locked,
      });
      return inserted;
    });
    const [obj] = await serializeL7Rules(db, [row]);
    return reply.status(201).send({ rule: obj });
  });

  app.put(`${base}/:id`, { config: { policy: 'l7rule:put' }, schema: { params: RuleParams, body: L7RuleUpdate } }, async (request) => {
    const body = request.body.rule;
    const { policy, rule } = await ruleOf(request);
    // The rule as it will be is what must make sense, not the fields given.
    validateL7Rule(mergeL7Rule(ruleSettings(rule), body));
    const changes = ruleColumns(body);
    const lbId = await loadBalancerOf(policy);
    const row = await db.transaction().execute(async (trx) => {
      const { lb, locked } = await lockL7PolicyForChild(trx, policy.id, lbId);
      const updated = await trx
        .updateTable('l7rule')
        .set({ ...changes, provisioning_status: 'PENDING_UPDATE', updated_at: NOW })
        .where('id', '=', rule.id)
        .returningAll()
        .executeTakeFirst();
      if (!updated) throw new NotFound('L7 Rule', rule.id);
      await enqueueOperation(trx, deps, {
        action: 'update',
        target: ref('l7rule', rule.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [],
        updated: [ref('l7rule', rule.id)],
        deleted: [],
        locked,
        changes,
      });
      return updated;
    });
    const [obj] = await serializeL7Rules(db, [row]);
    return { rule: obj };
  });

  app.delete(`${base}/:id`, { config: { policy: 'l7rule:delete' }, schema: { params: RuleParams } }, async (request, reply) => {
    const { policy, rule } = await ruleOf(request);
    const lbId = await loadBalancerOf(policy);
    await db.transaction().execute(async (trx) => {
      const { lb, locked } = await lockL7PolicyForChild(trx, policy.id, lbId);
      const deleted = await trx
        .updateTable('l7rule')
        .set({ provisioning_status: 'PENDING_DELETE' })
        .where('id', '=', rule.id)
        .returning('id')
        .executeTakeFirst();
      if (!deleted) throw new NotFound('L7 Rule', rule.id);
      await enqueueOperation(trx, deps, {
        action: 'delete',
        target: ref('l7rule', rule.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [],
        updated: [],
        deleted: [ref('l7rule', rule.id)],
        locked,
      });
    });
    return reply.status(204).send();
  });
}
