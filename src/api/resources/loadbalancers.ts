// /v2/lbaas/loadbalancers (docs/octavia-compatibility.md §5.1).
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { IdParams } from '../octavia/schema-types.ts';
import { fetchRow, listResource, showResource } from '../resource.ts';
import { authorize } from '../../auth/policy.ts';
import {
  LoadBalancerCreate,
  LoadBalancerUpdate,
  serializeLoadBalancers,
} from '../octavia/loadbalancer.ts';
import { enqueueOperation, lockForSelf, NOW, type Trx } from '../write-path.ts';
import { InvalidInput, ValidationFailure } from '../../errors.ts';
import { parseBool } from '../../model/list-query.ts';
import { ref, type ProviderOperation } from '../../model/operation.ts';
import { adminStateUp } from '../octavia/common.ts';
import { statusTree } from '../octavia/status-tree.ts';
import { emptyTree, serializeFullLoadBalancer } from '../octavia/loadbalancer-full.ts';
import { createLoadBalancerTree, planTree } from '../lb-tree-create.ts';
import { loadBalancerSpec } from '../resource-specs.ts';
import { hasTree } from '../../model/lb-tree.ts';
import { checkVipNetwork, resolvePlacement } from '../lb-placement.ts';
import { checkQuota } from '../quota-check.ts';
import { loadBalancerStats } from '../../db/stats.ts';
import { allocateAdditionalVips } from '../additional-vips.ts';
import { failover, LB_FAILOVER_STATES } from '../failover.ts';
import { vipSecurityGroups } from '../../model/vip-security-groups.ts';

function projectOf(request: FastifyRequest, body: { project_id?: string; tenant_id?: string }): string {
  const project = body.project_id ?? body.tenant_id ?? request.auth.projectId;
  if (!project) {
    throw new ValidationFailure(
      'Missing project ID in request where one is required. An X-Project-Id header or a project_id in the body must be given.',
    );
  }
  return project;
}

async function createLoadBalancer(request: FastifyRequest, deps: ApiDeps, body: Static<typeof LoadBalancerCreate>['loadbalancer']) {
  const projectId = projectOf(request, body);
  // The target of loadbalancer:post is the project the LB is created for (docs/octavia-compatibility.md §7.1).
  authorize(request, projectId);
  if (body.vip_sg_ids !== undefined) {
    authorize(request, projectId, 'loadbalancer:post:vip_sg_ids');
    vipSecurityGroups(body.vip_sg_ids);
  }
  if (!body.vip_port_id && !body.vip_network_id && !body.vip_subnet_id) {
    throw new ValidationFailure('VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.');
  }
  // A fully-populated create's structure is checked before anything is locked (docs/octavia-compatibility.md §5.2).
  const plan = hasTree(body) ? planTree(body) : null;
  const id = randomUUID();
  const row = await deps.database.db.transaction().execute(async (trx: Trx) => {
    const placement = await resolvePlacement(trx, deps, body);
    const provider = placement.provider;
    await checkQuota(trx, deps.config, projectId, { loadbalancer: 1 });
    const vip = await deps.network.allocateVip(trx, {
      ownerId: id,
      subnetId: body.vip_subnet_id ?? null,
      networkId: body.vip_network_id ?? null,
      portId: body.vip_port_id ?? null,
      address: body.vip_address ?? null,
    });
    checkVipNetwork(placement, vip.networkId);
    const additionalVips = await allocateAdditionalVips(trx, deps.network, id, vip, body.additional_vips ?? []);
    const inserted = await trx
      .insertInto('load_balancer')
      .values({
        id,
        project_id: projectId,
        name: body.name ?? '',
        description: body.description ?? '',
        admin_state_up: adminStateUp(body.admin_state_up),
        provisioning_status: 'PENDING_CREATE',
        operating_status: 'OFFLINE',
        provider,
        topology: placement.topology,
        flavor_id: placement.flavorId,
        availability_zone: placement.availabilityZone,
        vip_address: vip.address,
        vip_port_id: vip.portId,
        vip_subnet_id: vip.subnetId,
        vip_network_id: vip.networkId,
        vip_qos_policy_id: body.vip_qos_policy_id ?? null,
        additional_vips: JSON.stringify(additionalVips),
        tags: JSON.stringify(body.tags ?? []),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const tree = plan ? await createLoadBalancerTree(trx, deps, inserted, plan) : null;
    const op: ProviderOperation = {
      action: 'create',
      target: ref('loadbalancer', id),
      loadBalancerId: id,
      provider,
      created: [ref('loadbalancer', id), ...(tree?.created ?? [])],
      updated: [],
      deleted: [],
      locked: [],
    };
    await enqueueOperation(trx, deps, op);
    return serializeFullLoadBalancer(trx, inserted, tree?.rows ?? emptyTree());
  });
  return { loadbalancer: row };
}

export async function loadBalancerRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/lbaas/loadbalancers';

  app.get(base, { config: { policy: 'loadbalancer:get_all' } }, async (request) => listResource(request, deps, loadBalancerSpec));

  app.post(base, { config: { policy: 'loadbalancer:post' }, schema: { body: LoadBalancerCreate } }, async (request, reply) => {
    const body = request.body.loadbalancer;
    return reply.status(201).send(await createLoadBalancer(request, deps, body));
  });

  app.get(`${base}/:id`, { config: { policy: 'loadbalancer:get_one' }, schema: { params: IdParams } }, async (request) =>
    showResource(request, deps, loadBalancerSpec, request.params.id),
  );

  app.put(`${base}/:id`, { config: { policy: 'loadbalancer:put' }, schema: { params: IdParams, body: LoadBalancerUpdate } }, async (request) => {
    const { id } = request.params;
    const body = request.body.loadbalancer;
    const existing = await fetchRow(request, db, loadBalancerSpec, id);
    if (body.vip_sg_ids !== undefined) {
      authorize(request, existing.project_id, 'loadbalancer:put:vip_sg_ids');
      vipSecurityGroups(body.vip_sg_ids);
    }
    const row = await db.transaction().execute(async (trx) => {
      const lb = await lockForSelf(trx, existing.id, ['ACTIVE'], 'PENDING_UPDATE');
      const changes: Record<string, unknown> = {};
      if (body.name !== undefined) changes.name = body.name ?? '';
      if (body.description !== undefined) changes.description = body.description ?? '';
      if (body.admin_state_up !== undefined) changes.admin_state_up = body.admin_state_up ?? false;
      if (body.vip_qos_policy_id !== undefined) changes.vip_qos_policy_id = body.vip_qos_policy_id;
      if (body.tags !== undefined) changes.tags = JSON.stringify(body.tags);
      const updated = await trx
        .updateTable('load_balancer')
        .set({ ...changes, updated_at: NOW })
        .where('id', '=', lb.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await enqueueOperation(trx, deps, {
        action: 'update',
        target: ref('loadbalancer', lb.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [],
        updated: [ref('loadbalancer', lb.id)],
        deleted: [],
        locked: [],
        changes,
      });
      return updated;
    });
    const [obj] = await serializeLoadBalancers(db, [row]);
    return { loadbalancer: obj };
  });

  app.delete(`${base}/:id`, { config: { policy: 'loadbalancer:delete' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params;
    const rawCascade = (request.query as Record<string, unknown>).cascade;
    const cascade = typeof rawCascade === 'string' ? parseBool(rawCascade) : false;
    if (cascade === undefined) throw new InvalidInput(`Invalid input for field/attribute cascade. Value: '${String(rawCascade)}'.`);
    const existing = await fetchRow(request, db, loadBalancerSpec, id);
    await db.transaction().execute(async (trx) => {
      const lb = await lockForSelf(trx, existing.id, ['ACTIVE', 'ERROR'], 'PENDING_DELETE');
      if (!cascade) {
        const child =
          (await trx.selectFrom('listener').select('id').where('load_balancer_id', '=', lb.id).executeTakeFirst()) ??
          (await trx.selectFrom('pool').select('id').where('load_balancer_id', '=', lb.id).executeTakeFirst());
        if (child) throw new ValidationFailure(`Cannot delete Load Balancer ${lb.id} - it has children`);
      }
      await enqueueOperation(trx, deps, {
        action: 'delete',
        target: ref('loadbalancer', lb.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [],
        updated: [],
        deleted: [ref('loadbalancer', lb.id)],
        locked: [],
        cascade,
      });
    });
    return reply.status(204).send();
  });

  for (const suffix of ['status', 'statuses']) {
    app.get(`${base}/:id/${suffix}`, { config: { policy: 'loadbalancer:get_status' }, schema: { params: IdParams } }, async (request) => {
      const lb = await fetchRow(request, db, loadBalancerSpec, request.params.id);
      return { statuses: { loadbalancer: await statusTree(db, lb) } };
    });
  }

  app.put(`${base}/:id/failover`, { config: { policy: 'loadbalancer:put_failover' }, schema: { params: IdParams } }, async (request, reply) => {
    const lb = await fetchRow(request, db, loadBalancerSpec, request.params.id);
    await failover(deps, lb.id, LB_FAILOVER_STATES);
    return reply.status(202).send();
  });

  app.get(`${base}/:id/stats`, { config: { policy: 'loadbalancer:get_stats' }, schema: { params: IdParams } }, async (request) => {
    const lb = await fetchRow(request, db, loadBalancerSpec, request.params.id);
    return { stats: await loadBalancerStats(db, lb.id) };
  });
}
