// /v2/fulcrum/loadbalancers/{id}/drill: the failover drill (beyond Octavia). POST kills the
// amphora serving the load balancer's VIP for real and answers 202 with the drill, whose GET
// shows the outage the prober inside Fulcrum measured and the requests that failed
// (src/providers/amphora/drill.ts). Administrators only (policy fulcrum:loadbalancer:drill).
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { IdParams, Type } from '../octavia/schema-types.ts';
import type { Db } from '../../db/database.ts';
import { authorize } from '../../auth/policy.ts';
import { Conflict, ImmutableObject, NotFound, ProviderUnsupported } from '../../errors.ts';
import { enqueueJob } from '../../flows/job-store.ts';
import { drillInProgress, FAILOVER_DRILL, findDrill, type DrillJob, type DrillRecord } from '../../providers/amphora/drill.ts';
import { isUuid } from '../../model/list-query.ts';
import { octaviaTime } from '../octavia/common.ts';

const DrillParams = Type.Object({ id: Type.String(), drill_id: Type.String() });

const STATUS: Record<string, string> = { queued: 'PENDING', running: 'RUNNING', succeeded: 'COMPLETE', failed: 'ERROR' };

async function fetchLoadBalancer(db: Db, id: string) {
  const lb = isUuid(id)
    ? await db.selectFrom('load_balancer').select(['id', 'project_id', 'provider', 'provisioning_status']).where('id', '=', id.toLowerCase()).where('provisioning_status', '<>', 'DELETED').executeTakeFirst()
    : undefined;
  if (!lb) throw new NotFound('Load Balancer', id);
  return lb;
}

function serializeDrill(d: DrillRecord) {
  const r = d.result;
  return {
    id: d.id,
    loadbalancer_id: d.loadBalancerId,
    status: STATUS[d.state] ?? d.state,
    amphora_id: r?.amphoraId ?? null,
    amphora_role: r?.role ?? null,
    probe: r ? { address: r.target.address, protocol_port: r.target.port, protocol: r.target.http ? 'HTTP' : 'TCP' } : null,
    killed_at: r?.killedAt ?? null,
    outage_ms: r?.outageMs ?? null,
    failed_requests: r?.failedRequests ?? null,
    probes: r?.probes ?? null,
    recovered: r?.recovered ?? null,
    recovered_after_ms: r?.recoveredAfterMs ?? null,
    fault: d.state === 'failed' ? d.error : null,
    created_at: octaviaTime(d.createdAt),
    finished_at: octaviaTime(d.finishedAt),
  };
}

export async function drillRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/fulcrum/loadbalancers/:id';

  app.post(`${base}/drill`, { config: { policy: 'fulcrum:loadbalancer:drill' }, schema: { params: IdParams } }, async (request, reply) => {
    const lb = await fetchLoadBalancer(db, request.params.id);
    authorize(request, lb.project_id);
    if (deps.providers.get(lb.provider)?.name !== 'amphora') {
      throw new ProviderUnsupported(lb.provider, 'action', 'a failover drill kills an amphora; only the amphora provider has them.');
    }
    if (lb.provisioning_status !== 'ACTIVE') throw new ImmutableObject('Load Balancer', lb.id);
    if (await drillInProgress(db, lb.id)) throw new Conflict(`A failover drill of load balancer ${lb.id} is already in progress.`);
    const payload: DrillJob = { loadBalancerId: lb.id };
    // One attempt: a retried drill would kill a second amphora.
    const id = await enqueueJob(db, { kind: FAILOVER_DRILL, payload, loadBalancerId: lb.id, maxAttempts: 1 });
    return reply.status(202).send({ drill: serializeDrill((await findDrill(db, id))!) });
  });

  app.get(`${base}/drills/:drill_id`, { config: { policy: 'fulcrum:loadbalancer:get_drill' }, schema: { params: DrillParams } }, async (request) => {
    const { id, drill_id: drillId } = request.params;
    const lb = await fetchLoadBalancer(db, id);
    authorize(request, lb.project_id);
    const drill = /^\d{1,18}$/.test(drillId) ? await findDrill(db, drillId) : undefined;
    if (!drill || drill.loadBalancerId !== lb.id) throw new NotFound('Drill', drillId);
    return { drill: serializeDrill(drill) };
  });
}
