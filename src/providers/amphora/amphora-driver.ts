// The amphora provider: each load balancer is served by HAProxy in an amphora that a compute
// driver places and an amphora agent runs. Every change re-renders the whole configuration
// from the database graph and pushes it; the agent validates and reloads without dropping
// connections.
import { createHash } from 'node:crypto';
import type { Db } from '../../db/database.ts';
import type { FlowStep, StepInput } from '../../flows/flow.ts';
import { PermanentFailure } from '../../flows/flow.ts';
import type { LbGraph } from '../../model/lb-graph.ts';
import type { ProviderOperation } from '../../model/operation.ts';
import { ProviderUnsupported } from '../../errors.ts';
import type { ComputeDriver } from '../../compute/compute-driver.ts';
import { loadLbGraph } from '../../amphora/graph-loader.ts';
import type { ProviderDriver, SupportQuery } from '../driver.ts';
import type { StatusCallbacks } from '../status-callbacks.ts';
import { completedStatuses } from '../completed-statuses.ts';
import type { AmphoraAgents } from './amphora-agents.ts';
import { runtimeCommands } from './runtime-changes.ts';

export interface AmphoraRecord {
  id: string;
  role: string | null;
  run_dir: string | null;
  netns: string | null;
  agent_url: string | null;
  vrrp_interface: string | null;
}

export interface RenderedAmphora {
  haproxy: string;
  keepalived: string | null;
}

export interface AmphoraDriverDeps {
  db: Db;
  callbacks: StatusCallbacks;
  /** Where amphorae run and how to reach their agents; set up on first use (workers only). */
  dataPlane: { compute(): Promise<ComputeDriver>; agents(): Promise<AmphoraAgents> };
  render(graph: LbGraph, amphora: AmphoraRecord): RenderedAmphora;
  /** Why a listener cannot be served, or null (HAProxy 2.6 serves no UDP/SCTP, …). */
  unsupported(query: SupportQuery): string | null;
}

type Step = FlowStep<ProviderOperation>;

/** Amphora ids derived from the LB and the job, so a retried step finds the rows it made. */
function amphoraId(op: ProviderOperation, jobId: string, role: string): string {
  const h = createHash('sha256').update(`${op.loadBalancerId}:${jobId}:${role}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class AmphoraProviderDriver implements ProviderDriver {
  readonly name = 'amphora';
  readonly description = 'The Fulcrum amphora driver: HAProxy appliances run by amphora agents.';

  constructor(private readonly deps: AmphoraDriverDeps) {}

  checkSupport(query: SupportQuery): void {
    const reason = this.deps.unsupported(query);
    if (reason) throw new ProviderUnsupported(this.name, 'option', reason);
  }

  plan(op: ProviderOperation): Step[] {
    const lbOp = op.target.type === 'loadbalancer';
    if (lbOp && op.action === 'create') return [this.#allocate(), this.#boot(), this.#configure(), this.#finish()];
    if (lbOp && op.action === 'delete') return [this.#teardown(), this.#finish()];
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
        if (!lb.vip_address) throw new PermanentFailure(`load balancer ${lb.id} has no VIP address`);
        const prefix = await this.#vipPrefix(lb.vip_subnet_id);
        for (const id of results['amphora:allocate'] as string[]) {
          const [compute, agents] = await Promise.all([this.deps.dataPlane.compute(), this.deps.dataPlane.agents()]);
          const placement = await compute.createAmphora({
            amphoraId: id,
            loadBalancerId: lb.id,
            vipAddress: lb.vip_address,
            vipPrefixLength: prefix,
            plugVip: true,
            vrrpAddress: null,
          });
          await this.deps.db
            .updateTable('amphora')
            .set({
              status: 'BOOTING',
              compute_id: placement.computeId,
              agent_url: placement.agentUrl,
              netns: placement.netns,
              vrrp_interface: placement.vipInterface,
              lb_network_ip: placement.lbNetworkIp,
              ha_ip: lb.vip_address,
              ha_port_id: lb.vip_port_id,
            })
            .where('id', '=', id)
            .execute();
          const runDir = await agents.register(placement.agentUrl, id, placement.netns);
          await this.deps.db.updateTable('amphora').set({ run_dir: runDir }).where('id', '=', id).execute();
        }
      },
      revert: async ({ results }) => {
        for (const id of (results['amphora:allocate'] as string[]) ?? []) await this.#destroy(id);
      },
    };
  }

  async #vipPrefix(subnetId: string | null): Promise<number> {
    if (!subnetId) return 32;
    const subnet = await this.deps.db.selectFrom('subnet').select('cidr').where('id', '=', subnetId).executeTakeFirst();
    return subnet ? Number(subnet.cidr.split('/')[1]) : 32;
  }

  async #destroy(id: string): Promise<void> {
    const amp = await this.deps.db.selectFrom('amphora').selectAll().where('id', '=', id).executeTakeFirst();
    if (!amp) return;
    const [compute, agents] = await Promise.all([this.deps.dataPlane.compute(), this.deps.dataPlane.agents()]);
    if (amp.agent_url) await agents.remove(amp.agent_url, id);
    if (amp.compute_id) await compute.deleteAmphora(id, amp.compute_id);
    await this.deps.db.updateTable('amphora').set({ status: 'DELETED' }).where('id', '=', id).execute();
  }

  #configure(): Step {
    return {
      name: 'amphora:configure',
      run: async ({ payload: op }) => {
        const excluded = new Set(op.deleted.map((r) => r.id));
        const graph = await loadLbGraph(this.deps.db, op.loadBalancerId, excluded);
        const amphorae = await this.#amphorae(op.loadBalancerId);
        if (amphorae.length === 0) throw new PermanentFailure(`load balancer ${op.loadBalancerId} has no amphora`);
        const agents = await this.deps.dataPlane.agents();
        const runtime = runtimeCommands(op, graph) ?? undefined;
        for (const amphora of amphorae) {
          if (!amphora.agent_url) throw new Error(`amphora ${amphora.id} has no agent yet`);
          const rendered = this.deps.render(graph, amphora);
          await agents.applyHaproxy(amphora.agent_url, amphora.id, rendered.haproxy, runtime);
          if (rendered.keepalived) await agents.applyKeepalived(amphora.agent_url, amphora.id, rendered.keepalived);
        }
      },
    };
  }

  #teardown(): Step {
    return {
      name: 'amphora:teardown',
      run: async ({ payload: op }) => {
        for (const amphora of await this.#amphorae(op.loadBalancerId)) await this.#destroy(amphora.id);
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
