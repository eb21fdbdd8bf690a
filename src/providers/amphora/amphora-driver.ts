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
import { capabilitiesOf, validateMetadata } from '../metadata.ts';
import { AMPHORA_AVAILABILITY_ZONE_KEYS, AMPHORA_FLAVOR_KEYS } from './capabilities.ts';
import { completedStatuses } from '../completed-statuses.ts';
import { runtimeCommands } from './runtime-changes.ts';
import type { AmphoraDriverDeps, AmphoraRecord } from './amphora-types.ts';
import { bootAmphora, configureAmphora, destroyAmphora } from './amphora-lifecycle.ts';
import { failoverSteps } from './failover.ts';
import { amphoraConfigFlow, amphoraDeleteFlow, type AmphoraJob } from './operator-flows.ts';

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
   * The topologies #allocate can place. A flavor or default asking for another is refused
   * with 501 at the API rather than silently served by one amphora; add ACTIVE_STANDBY here
   * once the flow allocates and configures the MASTER/BACKUP pair.
   */
  readonly topologies: readonly string[] = ['SINGLE'];
  readonly flavorCapabilities: Capability[] = capabilitiesOf(AMPHORA_FLAVOR_KEYS);
  readonly availabilityZoneCapabilities: Capability[] = capabilitiesOf(AMPHORA_AVAILABILITY_ZONE_KEYS);

  constructor(private readonly deps: AmphoraDriverDeps) {}

  checkSupport(query: SupportQuery): void {
    if (query.topology && !this.topologies.includes(query.topology)) {
      throw new ProviderUnsupported(this.name, 'option', `loadbalancer_topology ${query.topology} is not available: this deployment places ${this.topologies.join(', ')} amphorae only.`);
    }
    const reason = this.deps.unsupported(query);
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

  /** The flows of the operator amphora API (delete, config push), for the flow registry. */
  operatorFlows(): FlowDefinition<AmphoraJob>[] {
    return [amphoraDeleteFlow(this.deps), amphoraConfigFlow(this.deps)];
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
      .select(['id', 'role', 'run_dir', 'netns', 'agent_url', 'vrrp_interface'])
      .where('load_balancer_id', '=', loadBalancerId)
      .where('status', 'not in', ['DELETED', 'PENDING_DELETE'])
      .orderBy('role')
      .execute();
  }

  #allocate(): Step {
    return {
      name: 'amphora:allocate',
      run: async ({ payload: op, jobId }) => {
        const id = amphoraId(op, jobId, 'STANDALONE');
        await this.deps.db
          .insertInto('amphora')
          .values({ id, load_balancer_id: op.loadBalancerId, status: 'PENDING_CREATE', role: 'STANDALONE', compute_driver: (await this.deps.dataPlane.compute()).name })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        return [id];
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
      run: async ({ payload: op, results }) => {
        const lb = await this.deps.db.selectFrom('load_balancer').selectAll().where('id', '=', op.loadBalancerId).executeTakeFirstOrThrow();
        for (const id of results['amphora:allocate'] as string[]) await bootAmphora(this.deps, id, lb, { plugVip: true });
      },
      revert: async ({ results }) => {
        for (const id of (results['amphora:allocate'] as string[]) ?? []) await destroyAmphora(this.deps, id);
      },
    };
  }

  #configure(): Step {
    return {
      name: 'amphora:configure',
      run: async ({ payload: op }) => {
        const excluded = new Set(op.deleted.map((r) => r.id));
        const graph = await loadLbGraph(this.deps.db, op.loadBalancerId, excluded);
        const amphorae = await this.#amphorae(op.loadBalancerId);
        if (amphorae.length === 0) throw new PermanentFailure(`load balancer ${op.loadBalancerId} has no amphora`);
        const runtime = runtimeCommands(op, graph) ?? undefined;
        for (const amphora of amphorae) await configureAmphora(this.deps, graph, amphora, runtime);
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
