// What happens to one amphora, shared by the create, delete and failover flows and the operator
// flows: placing it (compute driver + agent registration), pushing the configuration rendered
// for it, and taking it away. Each function is idempotent, so a retried step may call it again.
import type { Selectable } from 'kysely';
import type { AmphoraTable, LoadBalancerTable } from '../../db/schema.ts';
import type { VipAddress } from '../../compute/compute-driver.ts';
import type { LbGraph } from '../../model/lb-graph.ts';
import { PermanentFailure } from '../../flows/flow.ts';
import type { AmphoraDriverDeps, AmphoraRecord } from './amphora-types.ts';

export type LifecycleDeps = Pick<AmphoraDriverDeps, 'db' | 'dataPlane' | 'render' | 'fileContents'>;
type LoadBalancerRow = Selectable<LoadBalancerTable>;

export const AMPHORA_RECORD_COLUMNS = ['id', 'role', 'run_dir', 'netns', 'agent_url', 'vrrp_interface'] as const;

async function prefixLength(deps: LifecycleDeps, subnetId: string | null, address: string): Promise<number> {
  const subnet = subnetId ? await deps.db.selectFrom('subnet').select('cidr').where('id', '=', subnetId).executeTakeFirst() : undefined;
  if (subnet) return Number(subnet.cidr.split('/')[1]);
  return address.includes(':') ? 128 : 32;
}

/** Every VIP of the load balancer, primary first, with its subnet's prefix length. */
export async function vipAddresses(deps: LifecycleDeps, lb: LoadBalancerRow): Promise<VipAddress[]> {
  if (!lb.vip_address) return [];
  const vips = [{ address: lb.vip_address, subnetId: lb.vip_subnet_id }, ...lb.additional_vips.map((v) => ({ address: v.ip_address, subnetId: v.subnet_id }))];
  return Promise.all(vips.map(async (v) => ({ address: v.address, prefixLength: await prefixLength(deps, v.subnetId, v.address) })));
}

/**
 * Places the amphora and registers it with its agent; the row becomes BOOTING with where it
 * runs. `plugVip: false` boots it without the VIPs, for a failover that moves them over later.
 */
export async function bootAmphora(deps: LifecycleDeps, amphoraId: string, lb: LoadBalancerRow, options: { plugVip: boolean }): Promise<void> {
  const [primary, ...additional] = await vipAddresses(deps, lb);
  if (!primary) throw new PermanentFailure(`load balancer ${lb.id} has no VIP address`);
  const [compute, agents] = await Promise.all([deps.dataPlane.compute(), deps.dataPlane.agents()]);
  const placement = await compute.createAmphora({
    amphoraId,
    loadBalancerId: lb.id,
    vipAddress: primary.address,
    vipPrefixLength: primary.prefixLength,
    additionalVips: additional,
    plugVip: options.plugVip,
    vrrpAddress: null,
  });
  await deps.db
    .updateTable('amphora')
    .set({
      status: 'BOOTING',
      compute_id: placement.computeId,
      agent_url: placement.agentUrl,
      netns: placement.netns,
      vrrp_interface: placement.vipInterface,
      lb_network_ip: placement.lbNetworkIp,
      ha_ip: primary.address,
      ha_port_id: lb.vip_port_id,
    })
    .where('id', '=', amphoraId)
    .execute();
  const runDir = await agents.register(placement.agentUrl, amphoraId, placement.netns);
  await deps.db.updateTable('amphora').set({ run_dir: runDir, updated_at: new Date() }).where('id', '=', amphoraId).execute();
}

/** Renders the graph for this amphora and has its agent validate and apply it. */
export async function configureAmphora(deps: LifecycleDeps, graph: LbGraph, amphora: AmphoraRecord, runtime?: string[]): Promise<void> {
  if (!amphora.agent_url) throw new Error(`amphora ${amphora.id} has no agent yet`);
  const agents = await deps.dataPlane.agents();
  const rendered = deps.render(graph, amphora);
  const files = rendered.files ? await deps.fileContents(rendered.files) : undefined;
  await agents.applyHaproxy(amphora.agent_url, amphora.id, rendered.haproxy, runtime, files);
  if (rendered.keepalived) await agents.applyKeepalived(amphora.agent_url, amphora.id, rendered.keepalived);
}

/**
 * Stops what the agent runs for the amphora, removes its place and marks it DELETED. With
 * `agentMayBeGone` (replacing a failed amphora) an agent that does not answer is no reason to
 * stop: removing the place is what counts.
 */
export async function destroyAmphora(deps: LifecycleDeps, id: string, options: { agentMayBeGone?: boolean } = {}): Promise<void> {
  const amp: Selectable<AmphoraTable> | undefined = await deps.db.selectFrom('amphora').selectAll().where('id', '=', id).executeTakeFirst();
  if (!amp || amp.status === 'DELETED') return;
  if (amp.agent_url) {
    const agents = await deps.dataPlane.agents();
    try {
      await agents.remove(amp.agent_url, id);
    } catch (err) {
      if (!options.agentMayBeGone) throw err;
    }
  }
  if (amp.compute_id) await (await deps.dataPlane.compute()).deleteAmphora(id, amp.compute_id);
  await deps.db.updateTable('amphora').set({ status: 'DELETED', updated_at: new Date() }).where('id', '=', id).execute();
}
