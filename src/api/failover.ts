// The write path of a failover (docs/octavia-compatibility.md §4.2): the load balancer must be in an allowed state
// (LB failover: ACTIVE or ERROR; amphora failover: ACTIVE only) and becomes PENDING_UPDATE in
// the transaction that queues the job; its provider replaces the amphorae and settles it.
import type { ApiDeps } from './deps.ts';
import { enqueueOperation, lockForSelf } from './write-path.ts';
import { failoverOperation } from '../model/operation.ts';
import { recordEvent } from '../observability/events.ts';

export const LB_FAILOVER_STATES = ['ACTIVE', 'ERROR'] as const;
export const AMPHORA_FAILOVER_STATES = ['ACTIVE'] as const;

/** `targetHostId`: a migrate, whose replacements go to that inventory host. Returns the failover job's id. */
export async function failover(deps: ApiDeps, loadBalancerId: string, allowed: readonly string[], amphoraId?: string, targetHostId?: string): Promise<string> {
  return deps.database.db.transaction().execute(async (trx) => {
    const lb = await lockForSelf(trx, loadBalancerId, allowed, 'PENDING_UPDATE');
    const jobId = await enqueueOperation(trx, deps, failoverOperation(lb, amphoraId, targetHostId));
    await recordEvent(trx, {
      type: 'failover.started',
      projectId: lb.project_id,
      loadBalancerId: lb.id,
      detail: { loadbalancer_id: lb.id, ...(amphoraId ? { amphora_id: amphoraId } : {}), ...(targetHostId ? { host_id: targetHostId } : {}), automatic: false },
    });
    return jobId;
  });
}
