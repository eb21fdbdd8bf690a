// The representative UDP/SCTP cases, rendered to nftables by the golden test and checked by
// `nft -c` in the integration test.
import type { LbGraph } from '../../src/model/lb-graph.ts';
import { persistenceMaps, type Remembered } from '../../src/amphora/render/nftables-ruleset.ts';
import { graph, healthMonitor, listener, loadBalancer, member, pool, resetIds } from './graph-builder.ts';

export interface L4Case {
  name: string;
  covers: string;
  graph: LbGraph;
  /** Member ids the agent's probes hold down. */
  down: string[];
  /** What the replaced table's persistence maps held. */
  remembered: Remembered;
}

function l4Case(name: string, covers: string, build: () => { graph: LbGraph; down?: string[]; remembered?: Remembered }): L4Case {
  resetIds();
  const built = build();
  return { name, covers, graph: built.graph, down: built.down ?? [], remembered: built.remembered ?? new Map() };
}

export function l4Cases(): L4Case[] {
  return [
    l4Case('udp-round-robin', 'UDP round robin, weights reduced by their divisor, weight-0, admin-down and backup members, a TCP listener left to HAProxy', () => {
      const p = pool({
        protocol: 'UDP',
        members: [
          member({ address: '10.0.1.1', protocol_port: 53, weight: 2 }),
          member({ address: '10.0.1.2', protocol_port: 53, weight: 4 }),
          member({ address: '10.0.1.3', protocol_port: 53, weight: 0 }),
          member({ address: '10.0.1.4', protocol_port: 53, admin_state_up: false }),
          member({ address: '10.0.1.5', protocol_port: 53, backup: true }),
        ],
      });
      const l = listener({ protocol: 'UDP', protocol_port: 53, default_pool_id: p.id });
      return { graph: graph(loadBalancer(), [l, listener({ protocol: 'TCP', protocol_port: 80 })], [p]) };
    }),
    l4Case('udp-source-ip', 'UDP SOURCE_IP persistence with a /24 granularity and clients remembered by the replaced table, allowed_cidrs, a member down by its probes, an IPv6 additional VIP', () => {
      const lb = loadBalancer({ additional_vips: [{ subnet_id: 'subnet-v6', ip_address: '2001:db8::10', port_id: 'port-v6' }] });
      const down = member({ address: '10.0.1.2', protocol_port: 514 });
      const p = pool({
        protocol: 'UDP',
        session_persistence: { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: 360, persistence_granularity: '255.255.255.0' },
        members: [member({ address: '10.0.1.1', protocol_port: 514 }), down, member({ address: '2001:db8::1', protocol_port: 514 })],
        healthMonitor: healthMonitor({ type: 'UDP-CONNECT', delay: 3, timeout: 1 }),
      });
      const l = listener({ protocol: 'UDP', protocol_port: 514, default_pool_id: p.id, allowed_cidrs: ['192.0.2.0/24', '2001:db8:1::/48'] });
      const remembered = new Map([
        [persistenceMaps(l.id, 4).address, [{ client: '192.0.2.0', address: '10.0.1.1', port: 514, expiresS: 200 }]],
        [persistenceMaps(l.id, 6).address, [{ client: '2001:db8:1::7', address: '2001:db8::1', port: 514, expiresS: 30 }]],
      ]);
      return { graph: graph(lb, [l], [p]), down: [down.id], remembered };
    }),
    l4Case('sctp-source-ip-port', 'SCTP SOURCE_IP_PORT (jhash of address and port); all primaries down, the backup serves', () => {
      const a = member({ address: '10.0.1.1', protocol_port: 3868 });
      const p = pool({ protocol: 'SCTP', lb_algorithm: 'SOURCE_IP_PORT', members: [a, member({ address: '10.0.1.9', protocol_port: 3868, backup: true })] });
      const l = listener({ protocol: 'SCTP', protocol_port: 3868, default_pool_id: p.id });
      return { graph: graph(loadBalancer(), [l], [p]), down: [a.id] };
    }),
    l4Case('udp-no-members', 'a UDP listener without a pool and one whose pool has no member: no DNAT rule', () => {
      const p = pool({ protocol: 'UDP' });
      return { graph: graph(loadBalancer(), [listener({ protocol: 'UDP', protocol_port: 53 }), listener({ protocol: 'UDP', protocol_port: 54, default_pool_id: p.id })], [p]) };
    }),
  ];
}
