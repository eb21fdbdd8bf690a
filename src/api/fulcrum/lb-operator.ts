// Operator actions on one load balancer (beyond Octavia), administrators only:
// GET  /v2/fulcrum/loadbalancers/{id}/diagnostics  where the chain from the API row to each
//      amphora's servers breaks (src/providers/amphora/lb-diagnostics.ts);
// POST /v2/fulcrum/loadbalancers/{id}/resync       renders and pushes the configuration again
//      to every amphora, as a load balancer update with no change;
// POST /v2/fulcrum/loadbalancers/{id}/rebuild      replaces the amphorae (a load balancer failover).
// Both actions lock the load balancer like the tenant API does (409 while it is PENDING_*) and
// answer 202 with the job.
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { IdParams } from '../octavia/schema-types.ts';
import type { Db } from '../../db/database.ts';
import { authorize } from '../../auth/policy.ts';
import { NotFound } from '../../errors.ts';
import { isUuid } from '../../model/list-query.ts';
import { ref } from '../../model/operation.ts';
import { gatherDiagnostics } from '../../providers/amphora/lb-diagnostics.ts';
import { failover, LB_FAILOVER_STATES } from '../failover.ts';
import { enqueueOperation, lockForSelf } from '../write-path.ts';
import { serializeJob } from './jobs.ts';

/** A resync may repair an LB in ERROR, as a failover may. */
const RESYNC_STATES = ['ACTIVE', 'ERROR'] as const;

async function fetchLoadBalancer(db: Db, id: string) {
  const lb = isUuid(id)
    ? await db.selectFrom('load_balancer').select(['id', 'project_id']).where('id', '=', id.toLowerCase()).where('provisioning_status', '<>', 'DELETED').executeTakeFirst()
    : undefined;
  if (!lb) throw new NotFound('Load Balancer', id);
  return lb;
}

async function acceptedJob(db: Db, jobId: string) {
  return { job: serializeJob(await db.selectFrom('job').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow()) };
}

export async function lbOperatorRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/fulcrum/loadbalancers/:id';

  app.get(`${base}/diagnostics`, { config: { policy: 'fulcrum:loadbalancer:get_diagnostics' }, schema: { params: IdParams } }, async (request) => {
    const lb = await fetchLoadBalancer(db, request.params.id);
    authorize(request, lb.project_id);
    const found = await gatherDiagnostics(db, await deps.agents(), lb.id, deps.config.heartbeatTimeoutMs);
    if (!found) throw new NotFound('Load Balancer', request.params.id);
    const checks = new Map(found.diagnosis.amphorae.map((a) => [a.id, a.checks]));
    return {
      diagnostics: {
        loadbalancer: { ...found.loadbalancer, checks: found.diagnosis.loadbalancer },
        jobs: found.jobs.map(serializeJob),
        amphorae: found.amphorae.map((a) => ({ ...a, checks: checks.get(a.id) ?? [] })),
        broken_at: found.diagnosis.broken_at,
      },
    };
  });

  app.post(`${base}/resync`, { config: { policy: 'fulcrum:loadbalancer:resync' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id, project_id } = await fetchLoadBalancer(db, request.params.id);
    authorize(request, project_id);
    const jobId = await db.transaction().execute(async (trx) => {
      const lb = await lockForSelf(trx, id, RESYNC_STATES, 'PENDING_UPDATE');
      return enqueueOperation(trx, deps, {
        action: 'update',
        target: ref('loadbalancer', lb.id),
        loadBalancerId: lb.id,
        provider: lb.provider,
        created: [],
        updated: [ref('loadbalancer', lb.id)],
        deleted: [],
        locked: [],
        changes: {},
      });
    });
    return reply.status(202).send(await acceptedJob(db, jobId));
  });

  app.post(`${base}/rebuild`, { config: { policy: 'fulcrum:loadbalancer:rebuild' }, schema: { params: IdParams } }, async (request, reply) => {
    const lb = await fetchLoadBalancer(db, request.params.id);
    authorize(request, lb.project_id);
    return reply.status(202).send(await acceptedJob(db, await failover(deps, lb.id, LB_FAILOVER_STATES)));
  });
}
