// The netns side of the chaos harness (test/helpers/chaos.ts), root only: `fulcrum serve` on the
// netns compute driver with the test's own name prefix and /24, member servers in namespaces on
// the amphorae's bridge, the loss of a whole amphora (its namespace deleted), and what must not
// be left behind: namespaces and veths of amphorae no longer live, and addresses on an amphora
// that are not its own (a VIP held twice, or by an amphora of another load balancer).
import { ip } from '../../src/compute/netns/ip-command.ts';
import { cleanupPrefix } from '../../src/compute/netns/cleanup.ts';
import { namesOfComputeId } from '../../src/compute/netns/names.ts';
import { netnsExists } from '../../src/compute/netns/namespace.ts';
import { MemberNet, freeTestSubnet, testPrefix } from './netns.ts';

export interface LiveAmphora {
  id: string;
  loadbalancer_id: string | null;
  compute_id: string | null;
  vrrp_ip: string | null;
}

export interface NetnsChaosPlane {
  prefix: string;
  env: Record<string, string>;
  subnet: { cidr: string; gateway_ip: string };
  /** Member server `name` in its own namespace on the bridge; its address and port. */
  member(index: number, name: string): Promise<{ address: string; port: number }>;
  /** Namespaces, veths and addresses that should not be there, given the live amphorae and VIPs. */
  leftovers(live: LiveAmphora[], vips: Map<string, string>): Promise<string[]>;
  close(): Promise<void>;
}

/** IPv4 addresses on the namespace's eth0 (none when the namespace is gone). */
async function addressesIn(netns: string): Promise<string[]> {
  if (!netnsExists(netns)) return [];
  const [link] = JSON.parse((await ip(['-n', netns, '-j', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout) as { addr_info: { local: string }[] }[];
  return link?.addr_info.map((a) => a.local) ?? [];
}

async function namesWith(prefix: string): Promise<{ namespaces: string[]; links: string[] }> {
  const namespaces = (await ip(['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(prefix));
  const links = (JSON.parse((await ip(['-j', 'link', 'show'])).stdout) as { ifname: string }[]).map((l) => l.ifname).filter((n) => n.startsWith(prefix));
  return { namespaces, links };
}

export async function startNetnsChaosPlane(): Promise<NetnsChaosPlane> {
  const prefix = testPrefix();
  const net = await freeTestSubnet();
  const bridge = `${prefix}-br0`;
  const members = new MemberNet({ prefix, bridge, prefixLength: 24, bridgeAddress: `${net}.1/24` });
  return {
    prefix,
    env: { FULCRUM_COMPUTE_DRIVER: 'netns', FULCRUM_NETNS_PREFIX: prefix, FULCRUM_NETNS_BRIDGE_ADDRESS: `${net}.1/24` },
    subnet: { cidr: `${net}.0/24`, gateway_ip: `${net}.1` },
    async member(index, name) {
      const m = await members.add(name, `${net}.${201 + index}`, 8080);
      return { address: m.address, port: m.port };
    },
    async leftovers(live, vips) {
      const problems: string[] = [];
      const { namespaces, links } = await namesWith(prefix);
      const amphoraNs = new Map(live.filter((a) => a.compute_id).map((a) => [namesOfComputeId(a.compute_id!).netns, a]));
      const amphoraVeths = new Set(live.filter((a) => a.compute_id).map((a) => namesOfComputeId(a.compute_id!).veth));
      // Members are `<prefix>-b<n>` with veth `<prefix>b<n>` (helpers/netns.ts).
      const isMember = (name: string) => /^-?b\d+$/.test(name.slice(prefix.length));
      for (const ns of namespaces) if (!amphoraNs.has(ns) && !isMember(ns)) problems.push(`namespace ${ns} of no live amphora is left`);
      for (const link of links) {
        if (link === bridge || amphoraVeths.has(link) || isMember(link)) continue;
        problems.push(`link ${link} of no live amphora is left`);
      }
      const holders = new Map<string, string[]>();
      for (const [ns, a] of amphoraNs) {
        const vip = a.loadbalancer_id ? vips.get(a.loadbalancer_id) : undefined;
        for (const address of await addressesIn(ns)) {
          if (address === vip) holders.set(vip, [...(holders.get(vip) ?? []), a.id]);
          else if (address !== a.vrrp_ip) problems.push(`amphora ${a.id} holds ${address}, neither its VIP nor its VRRP address`);
        }
      }
      for (const [lbId, vip] of vips) {
        const held = holders.get(vip) ?? [];
        if (held.length !== 1) problems.push(`VIP ${vip} of LB ${lbId} is held by ${held.length} amphorae (${held.join(', ')}), not 1`);
      }
      return problems;
    },
    async close() {
      const failures: string[] = [];
      await members.close().catch((err: Error) => failures.push(`members: ${err.message}`));
      await cleanupPrefix(prefix).catch((err: Error) => failures.push(`cleanup of ${prefix}: ${err.message}`));
      if (failures.length > 0) throw new Error(failures.join('; '));
    },
  };
}
