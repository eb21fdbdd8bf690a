// The amphora provider: each load balancer is served by HAProxy in an amphora that a compute
// driver places and an amphora agent runs. Every change re-renders the whole configuration
// from the database graph and pushes it; the agent validates and reloads without dropping
// connections.
import { createHash } from 'node:crypto';
import type { FlowDefinition, FlowStep, StepInput } from '../../flows/flow.ts';
import { PermanentFailure } from '../../flows/flow.ts';
import type { ProviderOperation } from '../../model/operation.ts';
import { ProviderUnsupported } from '../../errors.ts';
import { loadLbGraph } from '../../amphora/graph-loader.ts';
import type { Capability, ProviderDriver, SupportQuery } from '../driver.ts';
import { mergeReports, type SourcesReport } from '../../agent/stick-table.ts';
import { capabilitiesOf, validateMetadata } from '../metadata.ts';
import { AMPHORA_AVAILABILITY_ZONE_KEYS, AMPHORA_FLAVOR_KEYS } from './capabilities.ts';
import { completedStatuses } from '../completed-statuses.ts';
import { runtimeCommands } from './runtime-changes.ts';
import type { AmphoraDriverDeps, AmphoraRecord } from './amphora-types.ts';
import { AMPHORA_RECORD_COLUMNS, bootAmphora, configureAmphora, destroyAmphora, waitForVip } from './amphora-lifecycle.ts';
import { placeableTopologies, topologyRefusal } from './topologies.ts';
import { drillFlow } from './drill.ts';
import { takeVrrpAddress, virtualRouterId } from './vrrp-addresses.ts';
import { VRRP_PRIORITY } from '../../amphora/render/keepalived-config.ts';
import { failoverSteps } from './failover.ts';
import { claimSpare } from './spare-pool.ts';
import { amphoraConfigFlow, amphoraDeleteFlow } from './operator-flows.ts';

type Step = FlowStep<ProviderOperation>;

/** Amphora ids derived from the LB and the job, so a retried step finds the rows it made. */
function amphoraId(op: ProviderOperation, jobId: string, role: string): string {
  const h = createHash('sha256').update(`${op.loadBalancerId}:${jobId}:${role}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class AmphoraProviderDriver implements ProviderDriver {
  readonly name = 'amphora';
  readonly description = 'The Fulcrum amphora driver: HAProxy appliances run by amphora agents.';

  /**
   * The topologies #allocate can place with the configured compute driver. A flavor or default
   * asking for another is refused with 501 at the API rather than silently served otherwise.
   */
  readonly topologies: readonly string[];
  readonly flavorCapabilities: Capability[] = capabilitiesOf(AMPHORA_FLAVOR_KEYS);
  readonly availabilityZoneCapabilities: Capability[] = capabilitiesOf(AMPHORA_AVAILABILITY_ZONE_KEYS);

  constructor(private readonly deps: AmphoraDriverDeps) {
    this.topologies = placeableTopologies(deps.computeDriver);
  }

  checkSupport(query: SupportQuery): void {
    const refusal = query.topology ? topologyRefusal(this.deps.computeDriver, query.topology) : null;
    if (refusal) throw new ProviderUnsupported(this.name, 'option', refusal);
    const reason = this.deps.unsupported(query, this.deps.computeDriver);
    if (reason) throw new ProviderUnsupported(this.name, 'option', reason);
  }

  validateFlavor(metadata: Record<string, unknown>): void {
    validateMetadata(this.name, 'flavor_data', AMPHORA_FLAVOR_KEYS, metadata);
    const topology = metadata.loadbalancer_topology;
    if (typeof topology === 'string') this.checkSupport({ topology });
    // Amphorae here sit on loopback or veth interfaces: there is no SR-IOV VF to give a VIP or member.
    for (const key of ['sriov_vip', 'allow_member_sriov'] as const) {
      if (metadata[key] === true) throw new ProviderUnsupported(this.name, 'option', `${key} is not available: this deployment has no SR-IOV ports.`);
    }
  }

  validateAvailabilityZone(metadata: Record<string, unknown>): void {
    validateMetadata(this.name, 'availability_zone_data', AMPHORA_AVAILABILITY_ZONE_KEYS, metadata);
  }

  /** Every serving amphora's report on the listener, summed per source (both of a pair count). */
  async protectionSources(loadBalancerId: string, listenerId: string, limit: number): Promise<SourcesReport> {
    const amphorae = await this.deps.db
      .selectFrom('amphora')
      .select(['id', 'agent_url'])
      .where('load_balancer_id', '=', loadBalancerId)
      .where('status', 'not in', ['DELETED', 'PENDING_DELETE', 'ERROR'])
      .execute();
    const agents = await this.deps.dataPlane.agents();
    const reports = await Promise.all(amphorae.filter((a) => a.agent_url).map((a) => agents.sources(a.agent_url!, a.id, listenerId, limit)));
    return mergeReports(reports, limit);
  }

  /** The flows of the operator amphora API (delete, config push) and failover drills, for the flow registry. */
  operatorFlows(): FlowDefinition<never>[] {
    return [amphoraDeleteFlow(this.deps), amphoraConfigFlow(this.deps), drillFlow(this.deps)];
  }

  plan(op: ProviderOperation): Step[] {
    const lbOp = op.target.type === 'loadbalancer';
    if (lbOp && op.action === 'create') return [this.#allocate(), this.#boot(), this.#configure(), this.#finish()];
    if (lbOp && op.action === 'delete') return [this.#teardown(), this.#finish()];
    if (op.action === 'failover') return failoverSteps(this.deps);
    return [this.#configure(), this.#finish()];
  }

  async #amphorae(loadBalancerId: string): Promise<AmphoraRecord[]> {
    return this.deps.db
      .selectFrom('amphora')
      .select(AMPHORA_RECORD_COLUMNS)
      .where('load_balancer_id', '=', loadBalancerId)
      .where('status', 'not in', ['DELETED', 'PENDING_DELETE'])
      .orderBy('id')
      .execute();
  }

  #allocate(): Step {
    return {
      name: 'amphora:allocate',
      run: async ({ payload: op, jobId }) => {
        const lb = await this.deps.db.selectFrom('load_balancer').select(['id', 'topology', 'vip_subnet_id', 'availability_zone']).where('id', '=', op.loadBalancerId).executeTakeFirstOrThrow();
        const compute = (await this.deps.dataPlane.compute()).name;
        if (lb.topology !== 'ACTIVE_STANDBY') {
          const spare = await claimSpare(this.deps.db, { jobId, loadBalancerId: op.loadBalancerId, role: 'STANDALONE', zone: lb.availability_zone, computeDriver: compute });
          if (spare) return [spare];
        }
        const roles = lb.topology === 'ACTIVE_STANDBY' ? (['MASTER', 'BACKUP'] as const) : (['STANDALONE'] as const);
        const ids: string[] = [];
        const vrrpInUse = new Set<string>();
        for (const role of roles) {
          const id = amphoraId(op, jobId, role);
          ids.push(id);
          // A retried step finds the row, and its VRRP address, it made before.
          const existing = await this.deps.db.selectFrom('amphora').select('vrrp_ip').where('id', '=', id).executeTakeFirst();
          if (existing) {
            if (existing.vrrp_ip) vrrpInUse.add(existing.vrrp_ip);
            continue;
          }
          const vrrp = role === 'STANDALONE' ? null : await takeVrrpAddress(this.deps.db, lb, vrrpInUse);
          if (vrrp) vrrpInUse.add(vrrp);
          await this.deps.db
            .insertInto('amphora')
            .values({
              id,
              load_balancer_id: op.loadBalancerId,
              status: 'PENDING_CREATE',
              role,
              compute_driver: compute,
              cached_zone: lb.availability_zone,
              ...(role === 'STANDALONE' ? {} : { vrrp_ip: vrrp, vrrp_id: virtualRouterId(lb.id), vrrp_priority: VRRP_PRIORITY[role] }),
            })
            .onConflict((oc) => oc.column('id').doNothing())
            .execute();
        }
        return ids;
      },
      revert: async (_input, output) => {
        for (const id of (output as string[]) ?? []) {
          await this.deps.db.updateTable('amphora').set({ status: 'DELETED' }).where('id', '=', id).execute();
        }
      },
    };
  }

  #boot(): Step {
    return {
      name: 'amphora:boot',
      run: async ({ payload: op, results, signal }) => {
        const lb = await this.deps.db.selectFrom('load_balancer').selectAll().where('id', '=', op.loadBalancerId).executeTakeFirstOrThrow();
        // A pair's VIP is keepalived's to place, on the MASTER.
        const plugVip = lb.topology !== 'ACTIVE_STANDBY';
        for (const id of results['amphora:allocate'] as string[]) await bootAmphora(this.deps, id, lb, { plugVip, signal });
      },
      // Also runs when this step failed part-way (the engine reverts the failed step too): an
      // amphora the compute driver placed before registration failed is removed, not leaked.
      revert: async ({ results }) => {
        for (const id of (results['amphora:allocate'] as string[]) ?? []) await destroyAmphora(this.deps, id);
      },
    };
  }

  #configure(): Step {
    return {
      name: 'amphora:configure',
      run: async ({ payload: op, signal }) => {
        const excluded = new Set(op.deleted.map((r) => r.id));
        const graph = await loadLbGraph(this.deps.db, op.loadBalancerId, excluded);
        // The MASTER first: its keepalived starts first and takes the VIP.
        const amphorae = (await this.#amphorae(op.loadBalancerId)).sort((a, b) => Number(b.role === 'MASTER') - Number(a.role === 'MASTER'));
        if (amphorae.length === 0) throw new PermanentFailure(`load balancer ${op.loadBalancerId} has no amphora`);
        const runtime = runtimeCommands(op, graph) ?? undefined;
        for (const amphora of amphorae) {
          signal.throwIfAborted();
          await configureAmphora(this.deps, graph, amphora, runtime);
          // A new pair: the MASTER takes the VIP before its peer's keepalived starts, so the
          // roles in the records are the VRRP states (both start BACKUP with nopreempt).
          if (amphora.role === 'MASTER' && op.target.type === 'loadbalancer' && op.action === 'create') await waitForVip(this.deps, amphora, graph);
        }
      },
    };
  }

  #teardown(): Step {
    return {
      name: 'amphora:teardown',
      run: async ({ payload: op }) => {
        for (const amphora of await this.#amphorae(op.loadBalancerId)) await destroyAmphora(this.deps, amphora.id);
      },
    };
  }

  #finish(): Step {
    return {
      name: 'amphora:report',
      run: async ({ payload: op }: StepInput<ProviderOperation>) => {
        if (op.target.type === 'loadbalancer' && op.action === 'create') {
          await this.deps.db.updateTable('amphora').set({ status: 'ALLOCATED' }).where('load_balancer_id', '=', op.loadBalancerId).where('status', '=', 'BOOTING').execute();
        }
        await this.deps.callbacks.updateStatuses(await completedStatuses(this.deps.db, op));
      },
    };
  }
}
