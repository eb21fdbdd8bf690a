// What an amphora serves outside HAProxy: its UDP and SCTP listeners, which the agent turns into
// one nftables table in the amphora's namespace (docs/dataplane.md §10). The plan is the wire
// format between the controller and the agent: the agent needs it, not a finished ruleset,
// because its own health probes take failed members out of the maps without asking anyone.
// Pure.
import { isIP } from 'node:net';
import type { LbGraph, ListenerNode, Member, PoolNode } from '../../model/lb-graph.ts';
import { isDatagramProtocol } from '../../model/protocol-rules.ts';
import { checkId } from './haproxy-quote.ts';
import { UnsafeConfigValue } from './errors.ts';

export type L4Protocol = 'udp' | 'sctp';
/** How the first packet of a flow picks a member; later packets follow conntrack. */
export type L4Selection = 'round-robin' | 'source-ip' | 'source-ip-port';

export interface L4Member {
  id: string;
  address: string;
  port: number;
  /** 0 takes no new flows (drain); existing flows keep their conntrack entry. */
  weight: number;
  backup: boolean;
  enabled: boolean;
  /** Where the monitor probes: the member's monitor_address/port, else its own. */
  probeAddress: string;
  probePort: number;
}

export interface L4Monitor {
  type: 'UDP-CONNECT' | 'TCP' | 'SCTP';
  delayMs: number;
  timeoutMs: number;
  /** Successes in a row that bring a down member back. */
  rise: number;
  /** Failures in a row that take a member out. */
  fall: number;
}

export interface L4Listener {
  id: string;
  protocol: L4Protocol;
  /** Every VIP of the load balancer; a member is reachable only from a VIP of its family. */
  vips: string[];
  port: number;
  allowedCidrs: string[];
  pool: {
    id: string;
    selection: L4Selection;
    /** SOURCE_IP persistence granularity as a prefix length (32 for 255.255.255.255). */
    sourcePrefix: number | null;
    members: L4Member[];
    monitor: L4Monitor | null;
  } | null;
}

export interface L4Plan {
  listeners: L4Listener[];
}

/** persistence_granularity is a netmask ("255.255.255.0"); a prefix length is what nft can hash. */
export function netmaskPrefix(mask: string): number {
  if (isIP(mask) !== 4) throw new UnsafeConfigValue('persistence_granularity', 'must be an IPv4 netmask such as 255.255.255.0');
  const bits = mask
    .split('.')
    .map((o) => Number(o).toString(2).padStart(8, '0'))
    .join('');
  if (!/^1*0*$/.test(bits)) throw new UnsafeConfigValue('persistence_granularity', 'must be a contiguous netmask');
  return bits.indexOf('0') < 0 ? 32 : bits.indexOf('0');
}

function selectionOf(pool: PoolNode): L4Selection {
  if (pool.lb_algorithm === 'SOURCE_IP_PORT') return 'source-ip-port';
  if (pool.lb_algorithm === 'SOURCE_IP' || pool.session_persistence?.type === 'SOURCE_IP') return 'source-ip';
  return 'round-robin';
}

function member(m: Member): L4Member {
  return {
    id: checkId(m.id, 'member id'),
    address: m.address,
    port: m.protocol_port,
    weight: m.weight,
    backup: m.backup,
    enabled: m.admin_state_up,
    probeAddress: m.monitor_address ?? m.address,
    probePort: m.monitor_port ?? m.protocol_port,
  };
}

function monitorOf(pool: PoolNode): L4Monitor | null {
  const hm = pool.healthMonitor;
  // Other types are refused at the API for UDP and SCTP pools (providers/amphora/support.ts).
  if (!hm?.admin_state_up || (hm.type !== 'UDP-CONNECT' && hm.type !== 'TCP' && hm.type !== 'SCTP')) return null;
  return { type: hm.type, delayMs: hm.delay * 1000, timeoutMs: hm.timeout * 1000, rise: hm.max_retries, fall: hm.max_retries_down };
}

function l4Listener(listener: ListenerNode, pools: Map<string, PoolNode>, vips: string[]): L4Listener {
  const pool = listener.default_pool_id ? pools.get(listener.default_pool_id) : undefined;
  return {
    id: checkId(listener.id, 'listener id'),
    protocol: listener.protocol === 'SCTP' ? 'sctp' : 'udp',
    vips,
    port: listener.protocol_port,
    allowedCidrs: [...listener.allowed_cidrs].sort(),
    pool:
      pool?.admin_state_up
        ? {
            id: checkId(pool.id, 'pool id'),
            selection: selectionOf(pool),
            sourcePrefix: pool.session_persistence?.persistence_granularity ? netmaskPrefix(pool.session_persistence.persistence_granularity) : null,
            members: pool.members.map(member).sort((a, b) => a.id.localeCompare(b.id)),
            monitor: monitorOf(pool),
          }
        : null,
  };
}

/** The UDP and SCTP listeners that serve (LB and listener enabled), in a stable order. */
export function l4Plan(graph: LbGraph): L4Plan {
  const lb = graph.loadBalancer;
  if (!lb.admin_state_up || !lb.vip_address) return { listeners: [] };
  const vips = [lb.vip_address, ...lb.additional_vips.map((v) => v.ip_address)];
  const pools = new Map(graph.pools.map((p) => [p.id, p]));
  const listeners = graph.listeners
    .filter((l) => isDatagramProtocol(l.protocol) && l.admin_state_up)
    .sort((a, b) => a.protocol.localeCompare(b.protocol) || a.protocol_port - b.protocol_port || a.id.localeCompare(b.id))
    .map((l) => l4Listener(l, pools, vips));
  return { listeners };
}
