// The render context of one amphora: where its files live under the run directory its agent
// gave it, the operator's limits and, for ACTIVE_STANDBY, its VRRP settings and its peer.
import type { AmphoraRenderContext, VrrpContext } from '../../amphora/render/context.ts';
import { ConfigError } from '../../errors.ts';
import type { LbGraph } from '../../model/lb-graph.ts';
import type { AmphoraRecord } from './amphora-types.ts';

export interface AmphoraLimits {
  /** Global maxconn: HAProxy needs about two descriptors per connection (fd ceiling 20000 here). */
  maxconn: number;
  hardStopAfterMs: number;
}

export const DEFAULT_LIMITS: AmphoraLimits = { maxconn: 9000, hardStopAfterMs: 30_000 };

/** HAProxy's log buffer: what it keeps while the agent is away (a restart), about 1000 lines. */
export const LOG_RING_BYTES = 256 * 1024;

/**
 * How HAProxy's log reaches the agent (FULCRUM_HAPROXY_LOG_TRANSPORT): `pipe`, the default, a
 * named pipe HAProxy inherits as this descriptor (the agent's HAPROXY_LOG_FD, src/agent/layout.ts);
 * `ring`, HAProxy's ring forwarded to the agent's log socket (docs/access-logs.md §1).
 */
export type HaproxyLogTransport = 'pipe' | 'ring';
export const HAPROXY_LOG_FD = 3;

/** Where the two HAProxy peers of a pair replicate stick tables, on their VRRP addresses. */
export const HAPROXY_PEER_PORT = 1025;

/** An ACTIVE_STANDBY amphora's VRRP settings, from its row and its peer's. */
function vrrpContext(amphora: AmphoraRecord, peers: AmphoraRecord[], runDir: string): VrrpContext {
  const { role, vrrp_ip: sourceIp, vrrp_id: virtualRouterId, vrrp_interface: iface } = amphora;
  if ((role !== 'MASTER' && role !== 'BACKUP') || !sourceIp || virtualRouterId === null || !iface) {
    throw new ConfigError(`amphora ${amphora.id} of an ACTIVE_STANDBY load balancer has no VRRP role, address, router id or interface`);
  }
  return {
    role,
    ...(amphora.vrrp_priority !== null ? { priority: amphora.vrrp_priority } : {}),
    interface: iface,
    virtualRouterId,
    sourceIp,
    peerIps: peers.map((p) => p.vrrp_ip!),
    // The agent's layout (src/agent/layout.ts): it writes the track file and installs the
    // notify and check scripts; HAProxy writes its pid file.
    trackFile: `${runDir}/haproxy.track`,
    notifyScript: `${runDir}/keepalived-notify.sh`,
    haproxyCheckScript: `${runDir}/haproxy-alive.sh`,
    haproxyPidFile: `${runDir}/haproxy.pid`,
    scriptUser: 'root',
  };
}

/** `peers`: the other live amphorae of the load balancer (ACTIVE_STANDBY: the other of the pair). */
export function renderContext(
  graph: LbGraph,
  amphora: AmphoraRecord,
  peers: AmphoraRecord[] = [],
  limits: AmphoraLimits = DEFAULT_LIMITS,
  logTransport: HaproxyLogTransport = 'pipe',
): AmphoraRenderContext {
  if (!amphora.run_dir) throw new Error(`amphora ${amphora.id} is not registered with an agent yet`);
  const runDir = amphora.run_dir;
  const pair = graph.loadBalancer.topology === 'ACTIVE_STANDBY';
  const vrrpPeers = peers.filter((p) => p.vrrp_ip);
  return {
    amphoraId: amphora.id,
    topology: pair ? 'ACTIVE_STANDBY' : 'SINGLE',
    vipAddress: graph.loadBalancer.vip_address!,
    additionalVipAddresses: graph.loadBalancer.additional_vips.map((v) => v.ip_address),
    paths: {
      runDir,
      // The agent dumps `show servers state` here before each reload (src/agent/layout.ts).
      serverStateFile: `${runDir}/servers.state`,
      certDir: `${runDir}/certs`,
    },
    maxconn: limits.maxconn,
    hardStopAfterMs: limits.hardStopAfterMs,
    // HAProxy logs to its agent (src/agent/layout.ts: the pipe it passes, the socket it serves),
    // which keeps the load balancer's access log.
    log: logTransport === 'ring' ? { kind: 'agent', socket: `${runDir}/log.sock`, ringBytes: LOG_RING_BYTES } : { kind: 'agent-pipe', fd: HAPROXY_LOG_FD },
    peers: pair ? [amphora, ...vrrpPeers].map((a) => ({ name: a.id, address: a.vrrp_ip ?? '', port: HAPROXY_PEER_PORT })) : [],
    vrrp: pair ? vrrpContext(amphora, vrrpPeers, runDir) : null,
  };
}
