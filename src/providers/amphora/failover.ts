// Failover of an amphora load balancer (reference §5.1 `PUT …/failover`, §5.13 amphora
// failover): a replacement amphora is booted beside the one it replaces, configured, handed the
// VIPs, and only then is the old one removed, so the VIP is served throughout when the old
// amphora still works, and as soon as possible when it does not. The API set the LB
// PENDING_UPDATE; the last step reports it ACTIVE. A failed step reverts the replacement and
// the flow's failure hook sets the LB ERROR with the reason.
import { createHash } from 'node:crypto';
import type { FlowStep } from '../../flows/flow.ts';
import { loadLbGraph } from '../../amphora/graph-loader.ts';
import type { ProviderOperation } from '../../model/operation.ts';
import { completedStatuses } from '../completed-statuses.ts';
import type { AmphoraDriverDeps, AmphoraRecord } from './amphora-types.ts';
import { AMPHORA_RECORD_COLUMNS, bootAmphora, configureAmphora, destroyAmphora, vipAddresses } from './amphora-lifecycle.ts';

type Step = FlowStep<ProviderOperation>;
type FailoverDeps = Pick<AmphoraDriverDeps, 'db' | 'dataPlane' | 'render' | 'fileContents' | 'callbacks'>;

const ROLES = ['STANDALONE', 'MASTER', 'BACKUP'] as const;

/** Which amphorae the failover replaces, and the replacements it makes (same roles). */
export interface FailoverPlan {
  old: string[];
  replacements: { id: string; role: string }[];
}

/** Replacement ids come from the LB, the job and the role, so a retried step finds its rows. */
export function replacementId(loadBalancerId: string, jobId: string, role: string): string {
  const h = createHash('sha256').update(`${loadBalancerId}:${jobId}:failover:${role}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

async function records(deps: FailoverDeps, ids: string[]): Promise<AmphoraRecord[]> {
  if (ids.length === 0) return [];
  return deps.db.selectFrom('amphora').select(AMPHORA_RECORD_COLUMNS).where('id', 'in', ids).execute();
}

function planOf(results: Record<string, unknown>): FailoverPlan {
  return results['failover:allocate'] as FailoverPlan;
}

export function failoverSteps(deps: FailoverDeps): Step[] {
  return [allocate(deps), boot(deps), configure(deps), moveVips(deps), retire(deps), report(deps)];
}

function allocate(deps: FailoverDeps): Step {
  return {
    name: 'failover:allocate',
    run: async ({ payload: op, jobId }): Promise<FailoverPlan> => {
      const ours = new Set(ROLES.map((role) => replacementId(op.loadBalancerId, jobId, role)));
      let query = deps.db
        .selectFrom('amphora')
        .select(['id', 'role'])
        .where('load_balancer_id', '=', op.loadBalancerId)
        .where('status', 'not in', ['DELETED', 'PENDING_DELETE']);
      if (op.amphoraId) query = query.where('id', '=', op.amphoraId);
      const old = (await query.orderBy('role').execute()).filter((a) => !ours.has(a.id));
      // A load balancer left without an amphora (its create failed) gets one.
      const roles = old.length > 0 ? old.map((a) => a.role ?? 'STANDALONE') : ['STANDALONE'];
      const replacements = roles.map((role) => ({ id: replacementId(op.loadBalancerId, jobId, role), role }));
      const compute = (await deps.dataPlane.compute()).name;
      for (const r of replacements) {
        await deps.db
          .insertInto('amphora')
          .values({ id: r.id, load_balancer_id: op.loadBalancerId, status: 'PENDING_CREATE', role: r.role, compute_driver: compute })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
      }
      return { old: old.map((a) => a.id), replacements };
    },
    // The engine reverts finished steps only, so this one also undoes a boot that failed
    // half-way (placed, not registered).
    revert: async (_input, output) => {
      for (const r of (output as FailoverPlan | null)?.replacements ?? []) {
        try {
          await destroyAmphora(deps, r.id, { agentMayBeGone: true });
        } catch (err) {
          // Left for the operator to see and delete (DELETE /v2/octavia/amphorae/{id} takes ERROR ones).
          const fault = `failover reverted, but the replacement could not be removed: ${(err as Error).message}`;
          await deps.db.updateTable('amphora').set({ status: 'ERROR', fault, updated_at: new Date() }).where('id', '=', r.id).execute();
        }
      }
    },
  };
}

function boot(deps: FailoverDeps): Step {
  return {
    name: 'failover:boot',
    run: async ({ payload: op, results }) => {
      const lb = await deps.db.selectFrom('load_balancer').selectAll().where('id', '=', op.loadBalancerId).executeTakeFirstOrThrow();
      // Without the VIPs: the old amphora may still be serving them until moveVips.
      for (const r of planOf(results).replacements) await bootAmphora(deps, r.id, lb, { plugVip: false });
    },
  };
}

function configure(deps: FailoverDeps): Step {
  return {
    name: 'failover:configure',
    run: async ({ payload: op, results }) => {
      const graph = await loadLbGraph(deps.db, op.loadBalancerId);
      for (const amphora of await records(deps, planOf(results).replacements.map((r) => r.id))) await configureAmphora(deps, graph, amphora);
    },
  };
}

/** Gives the replacements every VIP and announces them (gratuitous ARP where the driver needs one). */
async function plugReplacements(deps: FailoverDeps, op: ProviderOperation, plan: FailoverPlan): Promise<void> {
  const lb = await deps.db.selectFrom('load_balancer').selectAll().where('id', '=', op.loadBalancerId).executeTakeFirstOrThrow();
  const vips = await vipAddresses(deps, lb);
  const compute = await deps.dataPlane.compute();
  const rows = await deps.db.selectFrom('amphora').select(['id', 'compute_id']).where('id', 'in', plan.replacements.map((r) => r.id)).execute();
  for (const row of rows) {
    if (!row.compute_id) throw new Error(`amphora ${row.id} was not placed`);
    await compute.plugVips(row.compute_id, vips);
  }
}

function moveVips(deps: FailoverDeps): Step {
  return {
    name: 'failover:move-vips',
    run: async ({ payload: op, results }) => plugReplacements(deps, op, planOf(results)),
  };
}

function retire(deps: FailoverDeps): Step {
  return {
    name: 'failover:retire',
    run: async ({ payload: op, results }) => {
      const plan = planOf(results);
      // The replaced amphora is often the broken one: its agent not answering is expected.
      for (const id of plan.old) await destroyAmphora(deps, id, { agentMayBeGone: true });
      // Until it was gone, the old amphora could still claim the addresses (an ARP of its own
      // teaches its MAC again): announce them once more, now without a rival.
      if (plan.old.length > 0) await plugReplacements(deps, op, plan);
    },
  };
}

function report(deps: FailoverDeps): Step {
  return {
    name: 'failover:report',
    run: async ({ payload: op, results }) => {
      const ids = planOf(results).replacements.map((r) => r.id);
      await deps.db.updateTable('amphora').set({ status: 'ALLOCATED', updated_at: new Date() }).where('id', 'in', ids).where('status', '=', 'BOOTING').execute();
      await deps.callbacks.updateStatuses(await completedStatuses(deps.db, op));
    },
  };
}
