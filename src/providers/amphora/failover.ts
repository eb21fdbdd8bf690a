// Failover of an amphora load balancer (docs/octavia-compatibility.md §5.1 `PUT …/failover`, §5.13 amphora
// failover): a replacement amphora is booted beside the one it replaces, configured, handed the
// VIPs, and only then is the old one removed, so the VIP is served throughout when the old
// amphora still works, and as soon as possible when it does not. The API set the LB
// PENDING_UPDATE; the last step reports it ACTIVE. A failed step reverts the replacement and
// the flow's failure hook sets the LB ERROR with the reason.
//
// An ACTIVE_STANDBY pair is rebuilt one amphora at a time while the other serves the VIP (VRRP
// moved it there, or moves it when the old one stops): the old amphora goes first, freeing its
// VRRP address, and its replacement takes that address and joins as BACKUP with a priority
// below its peer's. The live peer's keepalived.conf stays as it is (it names that address
// already, and a keepalived reload drops requests), so the VIP does not move; only its HAProxy
// is reloaded, seamlessly, for the new stick-table peer. Replacing both (an LB failover) is
// two such rounds, BACKUP first. The health manager queues this same job for a dead amphora.
import { createHash } from 'node:crypto';
import type { FlowStep } from '../../flows/flow.ts';
import type { ComputeDriver } from '../../compute/compute-driver.ts';
import { loadLbGraph } from '../../amphora/graph-loader.ts';
import type { ProviderOperation } from '../../model/operation.ts';
import { completedStatuses } from '../completed-statuses.ts';
import type { AmphoraDriverDeps, AmphoraRecord } from './amphora-types.ts';
import { claimSpare } from './spare-pool.ts';
import { AMPHORA_RECORD_COLUMNS, bootAmphora, configureAmphora, destroyAmphora, servingAmphorae, vipAddresses } from './amphora-lifecycle.ts';
import { VRRP_PRIORITY } from '../../amphora/render/keepalived-config.ts';
import { takeVrrpAddress, virtualRouterId } from './vrrp-addresses.ts';

type Step = FlowStep<ProviderOperation>;
type FailoverDeps = Pick<AmphoraDriverDeps, 'db' | 'dataPlane' | 'render' | 'fileContents' | 'callbacks'>;

const ROLES = ['STANDALONE', 'MASTER', 'BACKUP'] as const;

/** Which amphorae the failover replaces, and the replacements it makes (same roles). */
export interface FailoverPlan {
  old: string[];
  replacements: { id: string; role: string }[];
  /** ACTIVE_STANDBY: replaced one at a time, each round's old amphora (if any) first. */
  rounds?: PairRound[];
}

export interface PairRound {
  old: string | null;
  replacement: string;
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
  return [allocate(deps), boot(deps), configure(deps), moveVips(deps), retire(deps), replacePair(deps), report(deps)];
}

function allocate(deps: FailoverDeps): Step {
  return {
    name: 'failover:allocate',
    run: async ({ payload: op, jobId }): Promise<FailoverPlan> => {
      const lb = await deps.db.selectFrom('load_balancer').select(['id', 'topology', 'vip_subnet_id', 'availability_zone']).where('id', '=', op.loadBalancerId).executeTakeFirstOrThrow();
      if (lb.topology === 'ACTIVE_STANDBY') return allocatePair(deps, op, jobId, lb);
      const taken = await deps.db.selectFrom('amphora').select('id').where('claimed_by_job', '=', jobId).execute();
      const ours = new Set([...ROLES.map((role) => replacementId(op.loadBalancerId, jobId, role)), ...taken.map((a) => a.id)]);
      let query = deps.db
        .selectFrom('amphora')
        .select(['id', 'role'])
        .where('load_balancer_id', '=', op.loadBalancerId)
        .where('status', 'not in', ['DELETED', 'PENDING_DELETE']);
      if (op.amphoraId) query = query.where('id', '=', op.amphoraId);
      const old = (await query.orderBy('role').execute()).filter((a) => !ours.has(a.id));
      // A load balancer left without an amphora (its create failed) gets one.
      const roles = old.length > 0 ? old.map((a) => a.role ?? 'STANDALONE') : ['STANDALONE'];
      const compute = (await deps.dataPlane.compute()).name;
      // A spare from the pool when there is one: booted already, it saves the boot.
      const replacements: FailoverPlan['replacements'] = [];
      for (const role of roles) {
        const spare = await claimSpare(deps.db, { jobId, loadBalancerId: op.loadBalancerId, role, zone: lb.availability_zone, computeDriver: compute });
        replacements.push({ id: spare ?? replacementId(op.loadBalancerId, jobId, role), role });
      }
      for (const r of replacements) {
        await deps.db
          .insertInto('amphora')
          .values({ id: r.id, load_balancer_id: op.loadBalancerId, status: 'PENDING_CREATE', role: r.role, compute_driver: compute })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
      }
      return { old: old.map((a) => a.id), replacements };
    },
    // failover:boot has no revert of its own: this one also undoes a boot that failed
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

/** Pair replacement ids: by round, so a retried step finds the rows it made. */
const PAIR_SLOTS = ['pair-1', 'pair-2'];
const PRIORITY_STEP = 10;

async function allocatePair(deps: FailoverDeps, op: ProviderOperation, jobId: string, lb: { id: string; vip_subnet_id: string | null }): Promise<FailoverPlan> {
  const ours = PAIR_SLOTS.map((slot) => replacementId(lb.id, jobId, slot));
  const live = (
    await deps.db
      .selectFrom('amphora')
      .select(['id', 'role', 'vrrp_ip', 'vrrp_priority', 'status'])
      .where('load_balancer_id', '=', lb.id)
      .where('status', 'not in', ['DELETED', 'PENDING_DELETE'])
      .execute()
  ).filter((a) => !ours.includes(a.id));
  // The BACKUP first: replacing it never moves the VIP.
  const order = (a: { role: string | null }) => (a.role === 'BACKUP' ? 0 : 1);
  const targets = (op.amphoraId ? live.filter((a) => a.id === op.amphoraId) : live).sort((a, b) => order(a) - order(b));
  const survivors = live.filter((a) => !targets.includes(a));
  // One round per amphora replaced, and more to make the pair whole when amphorae are missing
  // (a create that failed half-way, or one lost for good).
  const rounds: { old: (typeof live)[number] | null }[] = targets.map((old) => ({ old }));
  while (survivors.length + rounds.length < 2) rounds.push({ old: null });
  const inUse = new Set(live.map((a) => a.vrrp_ip).filter((ip): ip is string => ip !== null));
  const compute = (await deps.dataPlane.compute()).name;
  const planned: PairRound[] = [];
  // Who serves beside each round's replacement: what is live then, less the amphora it replaces.
  let serving: { id: string; vrrp_priority: number | null }[] = [...live];
  for (const [i, round] of rounds.entries()) {
    const id = ours[i];
    planned.push({ old: round.old?.id ?? null, replacement: id });
    const peers = serving.filter((a) => a.id !== round.old?.id);
    // Below every peer, so a moment of two MASTERs (a fresh keepalived not yet hearing its
    // peer) ends with the serving one keeping the VIP.
    const priority = peers.length === 0 ? VRRP_PRIORITY.MASTER : Math.max(1, Math.min(...peers.map((a) => a.vrrp_priority ?? VRRP_PRIORITY.BACKUP)) - PRIORITY_STEP);
    serving = [...peers, { id, vrrp_priority: priority }];
    const existing = await deps.db.selectFrom('amphora').select('vrrp_ip').where('id', '=', id).executeTakeFirst();
    if (existing) continue;
    // The replacement takes over the old amphora's VRRP address: it is the one the peer's
    // keepalived sends its adverts to.
    const vrrpIp = round.old?.vrrp_ip ?? (await takeVrrpAddress(deps.db, lb, inUse));
    inUse.add(vrrpIp);
    await deps.db
      .insertInto('amphora')
      .values({
        id,
        load_balancer_id: lb.id,
        status: 'PENDING_CREATE',
        role: 'BACKUP',
        compute_driver: compute,
        vrrp_ip: vrrpIp,
        vrrp_id: virtualRouterId(lb.id),
        vrrp_priority: priority,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
  return {
    old: targets.map((a) => a.id),
    replacements: planned.map((r) => ({ id: r.replacement, role: 'BACKUP' })),
    rounds: planned,
  };
}

/**
 * Rebuilds the pair round by round: the old amphora goes (its keepalived stops, or is dead
 * already, and the peer holds the VIP), its replacement boots without the VIP, takes its VRRP
 * address and joins as BACKUP. Then the amphora that served longest is the MASTER, and every
 * amphora gets the HAProxy configuration that names its new peer.
 */
function replacePair(deps: FailoverDeps): Step {
  return {
    name: 'failover:replace-pair',
    run: async ({ payload: op, results }) => {
      const plan = planOf(results);
      if (!plan.rounds) return;
      const lb = await deps.db.selectFrom('load_balancer').selectAll().where('id', '=', op.loadBalancerId).executeTakeFirstOrThrow();
      const graph = await loadLbGraph(deps.db, op.loadBalancerId);
      const compute = await deps.dataPlane.compute();
      const [vip] = await vipAddresses(deps, lb);
      for (const round of plan.rounds) {
        if (round.old) await destroyAmphora(deps, round.old, { agentMayBeGone: true });
        const oldGoneAt = Date.now();
        await bootAmphora(deps, round.replacement, lb, { plugVip: false });
        const [amphora] = await records(deps, [round.replacement]);
        await announceVrrpAddress(deps, compute, round.replacement, amphora.vrrp_ip, vip?.prefixLength, oldGoneAt);
        await configureAmphora(deps, graph, amphora);
      }
      const replacements = plan.rounds.map((r) => r.replacement);
      // Survivors (-1) first, then replacements in the order they joined.
      const rank = (id: string) => replacements.indexOf(id);
      const pair = (await servingAmphorae(deps, op.loadBalancerId)).sort((a, b) => rank(a.id) - rank(b.id));
      // Roles describe who holds the VIP; priorities stay as configured (see the top).
      for (const [i, amphora] of pair.entries()) {
        await deps.db.updateTable('amphora').set({ role: i === 0 ? 'MASTER' : 'BACKUP', updated_at: new Date() }).where('id', '=', amphora.id).execute();
      }
      // HAProxy's peers section names the new amphora; keepalived.conf is unchanged, so the
      // agent leaves keepalived alone.
      for (const amphora of await records(deps, pair.map((a) => a.id))) {
        if (amphora.id !== replacements.at(-1)) await configureAmphora(deps, graph, amphora);
      }
    },
  };
}

/**
 * The peer keeps sending its unicast adverts to the old amphora's MAC until its neighbour entry
 * for the reused VRRP address changes, and the kernel ignores an ARP that would change an entry
 * refreshed within the last second (neigh locktime, 1 s by default) — the old amphora answered
 * for that address until it was removed. The gratuitous ARP of the boot may fall inside that
 * second; without the peer's adverts the new keepalived would claim the VIP too. So the address
 * is announced again once the second is over, before keepalived starts.
 */
const NEIGH_LOCKTIME_MS = 1100;

async function announceVrrpAddress(deps: FailoverDeps, compute: ComputeDriver, amphoraId: string, vrrpIp: string | null, prefixLength: number | undefined, oldGoneAt: number): Promise<void> {
  if (!vrrpIp || prefixLength === undefined) return;
  const row = await deps.db.selectFrom('amphora').select('compute_id').where('id', '=', amphoraId).executeTakeFirstOrThrow();
  if (!row.compute_id) return;
  const wait = oldGoneAt + NEIGH_LOCKTIME_MS - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  await compute.plugVips(row.compute_id, [{ address: vrrpIp, prefixLength }]);
}

function boot(deps: FailoverDeps): Step {
  return {
    name: 'failover:boot',
    run: async ({ payload: op, results, signal }) => {
      if (planOf(results).rounds) return;
      const lb = await deps.db.selectFrom('load_balancer').selectAll().where('id', '=', op.loadBalancerId).executeTakeFirstOrThrow();
      // Without the VIPs: the old amphora may still be serving them until moveVips.
      for (const r of planOf(results).replacements) await bootAmphora(deps, r.id, lb, { plugVip: false, signal });
    },
  };
}

function configure(deps: FailoverDeps): Step {
  return {
    name: 'failover:configure',
    run: async ({ payload: op, results, signal }) => {
      if (planOf(results).rounds) return;
      const graph = await loadLbGraph(deps.db, op.loadBalancerId);
      for (const amphora of await records(deps, planOf(results).replacements.map((r) => r.id))) {
        signal.throwIfAborted();
        await configureAmphora(deps, graph, amphora);
      }
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
    // A pair's VIP is keepalived's to move.
    run: async ({ payload: op, results }) => (planOf(results).rounds ? undefined : plugReplacements(deps, op, planOf(results))),
  };
}

function retire(deps: FailoverDeps): Step {
  return {
    name: 'failover:retire',
    run: async ({ payload: op, results }) => {
      const plan = planOf(results);
      if (plan.rounds) return;
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
    run: async ({ payload: op, results, jobId }) => {
      const plan = planOf(results);
      const ids = plan.replacements.map((r) => r.id);
      await deps.db.updateTable('amphora').set({ status: 'ALLOCATED', updated_at: new Date() }).where('id', 'in', ids).where('status', '=', 'BOOTING').execute();
      const lb = await deps.db.selectFrom('load_balancer').select('project_id').where('id', '=', op.loadBalancerId).executeTakeFirst();
      // Reported with the statuses, in their transaction: the LB is ACTIVE exactly when the
      // event exists. The step runs again after a crash: the job's key records it once.
      await deps.callbacks.updateStatuses(await completedStatuses(deps.db, op), [
        {
          type: 'failover.finished',
          projectId: lb?.project_id ?? null,
          loadBalancerId: op.loadBalancerId,
          detail: { loadbalancer_id: op.loadBalancerId, ...(op.amphoraId ? { amphora_id: op.amphoraId } : {}), replaced: plan.old, replacements: ids },
          dedupeKey: `failover.finished:${jobId}`,
        },
      ]);
    },
  };
}
