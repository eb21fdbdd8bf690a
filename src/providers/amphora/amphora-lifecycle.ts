// What happens to one amphora, shared by the create, delete and failover flows and the operator
// flows: placing it (compute driver + agent registration), pushing the configuration rendered
// for it, and taking it away. Each function is idempotent, so a retried step may call it again.
import { createHash } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { AmphoraTable, LoadBalancerTable } from '../../db/schema.ts';
import type { ComputeDriver, VipAddress } from '../../compute/compute-driver.ts';
import type { LbGraph } from '../../model/lb-graph.ts';
import { PermanentFailure } from '../../flows/flow.ts';
import { cidrContains } from '../../model/cidr.ts';
import { placeAmphora, type PlacementHints } from '../../inventory/host-store.ts';
import type { AmphoraDriverDeps, AmphoraRecord } from './amphora-types.ts';
import { whileAgentReturns, type AgentPatience } from './agent-patience.ts';

/** Calls that fail at once when the agent does not answer. */
const NO_PATIENCE: AgentPatience = { waitMs: 0 };

export type LifecycleDeps = Pick<AmphoraDriverDeps, 'db' | 'dataPlane' | 'render' | 'fileContents' | 'chooseHost'>;
type LoadBalancerRow = Selectable<LoadBalancerTable>;

export const AMPHORA_RECORD_COLUMNS = ['id', 'role', 'run_dir', 'netns', 'agent_url', 'vrrp_interface', 'vrrp_ip', 'vrrp_id', 'vrrp_priority'] as const;

/** Amphorae that no longer serve, or not yet (a later failover round's): nobody's peer. */
const NOT_SERVING = ['DELETED', 'PENDING_DELETE', 'ERROR', 'PENDING_CREATE'];

/**
 * The prefix length of the VIP's subnet; a host prefix when the subnet is not Fulcrum's (the
 * noop network driver). An address outside its own subnet cannot be plugged however often
 * the step is retried.
 */
async function prefixLength(deps: LifecycleDeps, subnetId: string | null, address: string): Promise<number> {
  const subnet = subnetId ? await deps.db.selectFrom('subnet').select('cidr').where('id', '=', subnetId).executeTakeFirst() : undefined;
  if (subnet && !cidrContains(subnet.cidr, address)) throw new PermanentFailure(`VIP address ${address} does not belong to its subnet ${subnetId} (${subnet.cidr})`);
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
 * An amphora placed and registered already (a spare taken from the pool) is not booted again:
 * it only gets the load balancer's VIPs, when it is to own them now. False when it is not booted.
 */
async function adoptBooted(deps: LifecycleDeps, compute: ComputeDriver, amphoraId: string, lb: LoadBalancerRow, vips: VipAddress[], plugVip: boolean): Promise<boolean> {
  const row = await deps.db.selectFrom('amphora').select(['compute_id', 'run_dir', 'agent_url']).where('id', '=', amphoraId).executeTakeFirst();
  if (!row?.compute_id || !row.run_dir || !row.agent_url) return false;
  if (plugVip) await compute.plugVips(row.compute_id, vips);
  await deps.db
    .updateTable('amphora')
    .set({ status: 'BOOTING', ha_ip: vips[0].address, ha_port_id: lb.vip_port_id, updated_at: new Date() })
    .where('id', '=', amphoraId)
    .execute();
  return true;
}

/**
 * The inventory host the scheduler picks for the amphora (recorded on its row), for drivers
 * that place on hosts; null when the inventory is empty. No host that qualifies fails the flow
 * with the scheduler's reason, at once unless a host that is only OFFLINE would qualify.
 */
/** No host qualifies only because the hosts that would are OFFLINE for now. */
class HostsOffline extends Error {}

async function scheduledAgent(deps: LifecycleDeps, compute: ComputeDriver, amphoraId: string, lb: LoadBalancerRow, hints: PlacementHints): Promise<string | undefined> {
  if (!compute.placesOnHosts) return undefined;
  const placed = await placeAmphora(deps.db, { id: amphoraId, loadBalancerId: lb.id, topology: lb.topology, availabilityZone: lb.availability_zone }, hints, deps.chooseHost);
  if (placed && 'fault' in placed) {
    const message = `no host for amphora ${amphoraId} of load balancer ${lb.id}: ${placed.fault}`;
    // A host that is only OFFLINE may answer again (its agent restarting): the flow retries,
    // or a failover waits for it (bootAmphora).
    throw placed.transient ? new HostsOffline(message) : new PermanentFailure(message);
  }
  return placed?.agentUrl;
}

/**
 * Places the amphora and registers it with its agent; the row becomes BOOTING with where it
 * runs. `plugVip: false` boots it without the VIPs, for a failover that moves them over later.
 */
export async function bootAmphora(
  deps: LifecycleDeps,
  amphoraId: string,
  lb: LoadBalancerRow,
  options: { plugVip: boolean; signal?: AbortSignal; patience?: AgentPatience; placement?: PlacementHints },
): Promise<void> {
  options.signal?.throwIfAborted();
  const [primary, ...additional] = await vipAddresses(deps, lb);
  if (!primary) throw new PermanentFailure(`load balancer ${lb.id} has no VIP address`);
  const [compute, agents] = await Promise.all([deps.dataPlane.compute(), deps.dataPlane.agents()]);
  if (await adoptBooted(deps, compute, amphoraId, lb, [primary, ...additional], options.plugVip)) return;
  const { vrrp_ip: vrrpAddress } = await deps.db.selectFrom('amphora').select('vrrp_ip').where('id', '=', amphoraId).executeTakeFirstOrThrow();
  const hostAgentUrl = await whileAgentReturns(() => scheduledAgent(deps, compute, amphoraId, lb, options.placement ?? {}), options.patience ?? NO_PATIENCE, (err) => err instanceof HostsOffline);
  const placement = await compute.createAmphora({
    amphoraId,
    loadBalancerId: lb.id,
    vipAddress: primary.address,
    vipPrefixLength: primary.prefixLength,
    additionalVips: additional,
    plugVip: options.plugVip,
    vrrpAddress,
    hostAgentUrl,
  });
  const hostId = hostAgentUrl ? undefined : (placement.hostId ?? null);
  await deps.db
    .updateTable('amphora')
    .set({
      ...(hostId !== undefined ? { host_id: hostId } : {}),
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
  // The job's lease may have gone to another worker while the place was made: leave the rest to it.
  options.signal?.throwIfAborted();
  const runDir = await whileAgentReturns(() => agents.register(placement.agentUrl, amphoraId, placement.netns), options.patience ?? NO_PATIENCE);
  await deps.db.updateTable('amphora').set({ run_dir: runDir, updated_at: new Date() }).where('id', '=', amphoraId).execute();
}

/** The load balancer's amphorae that serve or are being set up to. */
export async function servingAmphorae(deps: LifecycleDeps, loadBalancerId: string): Promise<AmphoraRecord[]> {
  return deps.db
    .selectFrom('amphora')
    .select(AMPHORA_RECORD_COLUMNS)
    .where('load_balancer_id', '=', loadBalancerId)
    .where('status', 'not in', NOT_SERVING)
    .orderBy('id')
    .execute();
}

/** An amphora's VRRP peers: the load balancer's other serving amphorae. */
export async function peersOf(deps: LifecycleDeps, loadBalancerId: string, amphoraId: string): Promise<AmphoraRecord[]> {
  return (await servingAmphorae(deps, loadBalancerId)).filter((a) => a.id !== amphoraId);
}

/** Renders the graph for this amphora and has its agent validate and apply it. */
export async function configureAmphora(deps: LifecycleDeps, graph: LbGraph, amphora: AmphoraRecord, runtime?: string[], patience: AgentPatience = NO_PATIENCE): Promise<void> {
  if (!amphora.agent_url) throw new Error(`amphora ${amphora.id} has no agent yet`);
  const agents = await deps.dataPlane.agents();
  const rendered = deps.render(graph, amphora, await peersOf(deps, graph.loadBalancer.id, amphora.id));
  const files = rendered.files ? await deps.fileContents(rendered.files) : undefined;
  const url = amphora.agent_url;
  await whileAgentReturns(() => agents.applyHaproxy(url, amphora.id, rendered.haproxy, runtime, files), patience);
  await deps.db.updateTable('amphora').set({ haproxy_config_sha256: createHash('sha256').update(rendered.haproxy).digest('hex') }).where('id', '=', amphora.id).execute();
  if (rendered.keepalived) await whileAgentReturns(() => agents.applyKeepalived(url, amphora.id, rendered.keepalived!), patience);
  // Only an amphora with its own namespace has an nftables table to program; the API refuses
  // UDP and SCTP elsewhere (support.ts).
  if (amphora.netns !== null) await whileAgentReturns(() => agents.applyL4(url, amphora.id, rendered.l4), patience);
}

/**
 * Waits (bounded) until keepalived has put the load balancer's VIP on the amphora. Not being
 * there in time is no failure: the pair serves either way, the roles only describe it less well.
 */
export async function waitForVip(deps: LifecycleDeps, amphora: AmphoraRecord, graph: LbGraph, timeoutMs = 5000): Promise<boolean> {
  const vip = graph.loadBalancer.vip_address;
  if (!vip || !amphora.agent_url) return false;
  const agents = await deps.dataPlane.agents();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await agents.addresses(amphora.agent_url, amphora.id)).includes(vip)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/**
 * Stops what the agent runs for the amphora, removes its place and marks it DELETED. With
 * `agentMayBeGone` (replacing a failed amphora) an agent that does not answer is no reason to
 * stop: removing the place is what counts.
 */
export async function destroyAmphora(deps: Pick<LifecycleDeps, 'db' | 'dataPlane'>, id: string, options: { agentMayBeGone?: boolean } = {}): Promise<void> {
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
