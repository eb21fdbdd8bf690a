// What an amphora serves outside HAProxy: its UDP and SCTP listeners, which the agent turns into
// one nftables table in the amphora's namespace (docs/dataplane.md §10). The plan is the wire
// format between the controller and the agent: the agent needs it, not a finished ruleset,
// because its own health probes take failed members out of the maps without asking anyone.
// Pure.
import { isIP } from 'node:net';
import type { HealthMonitor, LbGraph, ListenerNode, Member, PoolNode } from '../../model/lb-graph.ts';
import { isDatagramProtocol } from '../../model/protocol-rules.ts';
import { HTTP_METHODS } from '../../model/enums.ts';
import { checkEnum, checkHostname, checkId, checkUrlPath, parseExpectedCodes } from './haproxy-quote.ts';
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

/** What an HTTP monitor asks a UDP/SCTP member's HTTP port, and which answers count as up. */
export interface L4HttpCheck {
  method: string;
  path: string;
  version: '1.0' | '1.1';
  /** Sent as the Host header with HTTP/1.1 (the probed address otherwise). */
  host: string | null;
  expectedCodes: number[];
}

export interface L4Monitor {
  type: 'UDP-CONNECT' | 'TCP' | 'SCTP' | 'HTTP';
  delayMs: number;
  timeoutMs: number;
  /** Successes in a row that bring a down member back. */
  rise: number;
  /** Failures in a row that take a member out. */
  fall: number;
  /** Only for HTTP monitors. */
  http: L4HttpCheck | null;
}

/**
 * SOURCE_IP session persistence: a client (its address masked by `prefix`, IPv4 only) keeps the
 * member it reached until `timeoutS` pass without a packet from it.
 */
export interface L4Persistence {
  timeoutS: number;
  prefix: number;
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
    persistence: L4Persistence | null;
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

/** The API's default persistence_timeout for UDP/SCTP pools (docs/octavia-compatibility.md §6.3). */
export const DEFAULT_PERSISTENCE_TIMEOUT_S = 360;

function selectionOf(pool: PoolNode): L4Selection {
  if (pool.lb_algorithm === 'SOURCE_IP_PORT') return 'source-ip-port';
  if (pool.lb_algorithm === 'SOURCE_IP') return 'source-ip';
  return 'round-robin';
}

function persistenceOf(pool: PoolNode): L4Persistence | null {
  const sp = pool.session_persistence;
  if (sp?.type !== 'SOURCE_IP') return null;
  return {
    timeoutS: sp.persistence_timeout || DEFAULT_PERSISTENCE_TIMEOUT_S,
    prefix: sp.persistence_granularity ? netmaskPrefix(sp.persistence_granularity) : 32,
  };
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

function httpCheckOf(hm: HealthMonitor): L4HttpCheck {
  const field = `health monitor ${hm.id}`;
  // As on HAProxy pools: HTTP/1.0 unless 1.1 is asked for, and a Host header only with 1.1.
  const version = hm.http_version === null ? '1.0' : (checkEnum(hm.http_version.toFixed(1), ['1.0', '1.1'], `${field} http_version`) as '1.0' | '1.1');
  return {
    method: checkEnum(hm.http_method ?? 'GET', HTTP_METHODS, `${field} http_method`),
    path: checkUrlPath(hm.url_path ?? '/', `${field} url_path`),
    version,
    host: version === '1.1' && hm.domain_name !== null ? checkHostname(hm.domain_name, `${field} domain_name`) : null,
    expectedCodes: parseExpectedCodes(hm.expected_codes ?? '200', `${field} expected_codes`),
  };
}

function monitorOf(pool: PoolNode): L4Monitor | null {
  const hm = pool.healthMonitor;
  // Other types are refused at the API for UDP and SCTP pools (model/protocol-rules.ts).
  if (!hm?.admin_state_up || (hm.type !== 'UDP-CONNECT' && hm.type !== 'TCP' && hm.type !== 'SCTP' && hm.type !== 'HTTP')) return null;
  return {
    type: hm.type,
    delayMs: hm.delay * 1000,
    timeoutMs: hm.timeout * 1000,
    rise: hm.max_retries,
    fall: hm.max_retries_down,
    http: hm.type === 'HTTP' ? httpCheckOf(hm) : null,
  };
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
            persistence: persistenceOf(pool),
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
