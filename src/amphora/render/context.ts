// What the amphora contributes to its configuration, next to the load-balancer graph: where its
// files live, which address it serves on, its peers. Filled in by the amphora driver from the
// amphora row and operator settings; checked here because a bad value would end up in a config
// file (an operator or driver bug, hence ConfigError rather than a tenant-facing 400).
import { isIP } from 'node:net';
import { ConfigError, FulcrumError } from '../../errors.ts';
import { checkEnum, checkId, checkInteger, checkIp } from './haproxy-quote.ts';
import { protectionProblem, type ProtectionOverrides } from '../../model/protection.ts';

export type Topology = 'SINGLE' | 'ACTIVE_STANDBY';

export interface AmphoraPaths {
  /** Holds the stats socket `<runDir>/haproxy.sock` (runtime API, level admin). */
  runDir: string;
  serverStateFile: string;
  /** Where the agent writes the PEM files the config names (see tls-files.ts). */
  certDir: string;
}

/**
 * `agent-pipe`: lines written to the file descriptor `fd` HAProxy inherits from its agent, a
 * named pipe the agent reads (haproxy-logging.ts). `agent`: a ring buffer of `ringBytes` in
 * HAProxy, forwarded to the agent's unix stream socket `socket`.
 */
export type LogTarget =
  | { kind: 'none' }
  | { kind: 'stdout' }
  | { kind: 'unix'; path: string }
  | { kind: 'agent-pipe'; fd: number }
  | { kind: 'agent'; socket: string; ringBytes: number };

export interface HaproxyPeer {
  /** The amphora id; the local one is the peer named `AmphoraRenderContext.amphoraId`. */
  name: string;
  address: string;
  port: number;
}

export interface VrrpContext {
  /** MASTER gets priority 100, BACKUP 90 unless `priority` says; both start as BACKUP with nopreempt. */
  role: 'MASTER' | 'BACKUP';
  /**
   * The priority to render instead of the role's. A failover keeps a live amphora's priority
   * (a keepalived reload for a new one drops requests) and gives its replacement a lower one.
   */
  priority?: number;
  interface: string;
  virtualRouterId: number;
  /** This amphora's VRRP address (`unicast_src_ip`) and its peers' (`unicast_peer`). */
  sourceIp: string;
  peerIps: string[];
  /** Seconds; default 0.1, the smallest interval that stayed stable (docs/dataplane.md §5). */
  advertIntSeconds?: number;
  /** The file the agent writes 0 (HAProxy serving) or 1 (not) into; keepalived goes FAULT on 1. */
  trackFile: string;
  /**
   * keepalived's own check, run as `<haproxyCheckScript> <haproxyPidFile>`: exits 0 while the
   * HAProxy master named by the pid file lives. The fallback for `trackFile` when the agent that
   * writes it is dead (docs/dataplane.md §5).
   */
  haproxyCheckScript: string;
  haproxyPidFile: string;
  notifyScript: string;
  /** User keepalived runs the notify script as (keepalived refuses scripts without one). */
  scriptUser: string;
  garp?: Partial<GarpSettings>;
}

export interface GarpSettings {
  masterDelaySeconds: number;
  masterRefreshSeconds: number;
  masterRefreshRepeat: number;
  lowerPrioRepeat: number;
}

export interface AmphoraRenderContext {
  amphoraId: string;
  topology: Topology;
  /** The address listeners bind to. The standby binds it too (needs ip_nonlocal_bind). */
  vipAddress: string;
  /** The load balancer's additional VIPs (API v2.26): every listener binds each of them too. */
  additionalVipAddresses: string[];
  paths: AmphoraPaths;
  /** Global maxconn, also the cap for listener limits: ≤ ~9980 where the fd ceiling is 20000. */
  maxconn: number;
  /** How long an old worker may keep connections after a reload. */
  hardStopAfterMs: number;
  log: LogTarget;
  /** ACTIVE_STANDBY: every amphora of the load balancer, this one included. */
  peers: HaproxyPeer[];
  /** The operator's protection defaults, under the flavor's and the listener's (src/model/protection.ts). */
  protectionDefaults?: ProtectionOverrides;
  /**
   * false: no listener logs its connections or requests (`no log` in each frontend), the
   * operator's way out of what logging costs HAProxy (FULCRUM_CONNECTION_LOGGING); the
   * administrative log (servers up and down, alerts) flows as before. Default true.
   */
  connectionLogging?: boolean;
  /** ACTIVE_STANDBY only. */
  vrrp: VrrpContext | null;
}

/**
 * A second GARP burst a second after becoming MASTER and a refresh every 5 s: a client that kept
 * the other node's MAC is otherwise cut off until its neighbour entry expires (docs/dataplane.md §5).
 */
export const GARP_DEFAULTS: GarpSettings = {
  masterDelaySeconds: 1,
  masterRefreshSeconds: 5,
  masterRefreshRepeat: 2,
  lowerPrioRepeat: 1,
};
export const DEFAULT_ADVERT_INT_SECONDS = 0.1;

function asConfigError(check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof FulcrumError) throw new ConfigError(`amphora render context: ${err.message}`);
    throw err;
  }
}

function checkFilePath(value: string, field: string): string {
  if (!/^\/[A-Za-z0-9._/-]*$/.test(value)) {
    throw new ConfigError(`amphora render context: ${field} must be an absolute path of letters, digits, ".", "_", "-" and "/".`);
  }
  return value;
}

export function checkContext(ctx: AmphoraRenderContext): void {
  asConfigError(() => {
    checkEnum(ctx.topology, ['SINGLE', 'ACTIVE_STANDBY'], 'topology');
    checkId(ctx.amphoraId, 'amphoraId');
    checkIp(ctx.vipAddress, 'vipAddress');
    for (const address of ctx.additionalVipAddresses) checkIp(address, 'additionalVipAddresses');
    checkInteger(ctx.maxconn, 'maxconn', 1, 1_000_000);
    checkInteger(ctx.hardStopAfterMs, 'hardStopAfterMs', 1, 2_147_483_647);
    for (const peer of ctx.peers) {
      checkId(peer.name, 'peer name');
      checkIp(peer.address, 'peer address');
      checkInteger(peer.port, 'peer port', 1, 65535);
    }
  });
  const problem = ctx.protectionDefaults ? protectionProblem(ctx.protectionDefaults) : null;
  if (problem) throw new ConfigError(`amphora render context: protectionDefaults ${problem}.`);
  for (const [field, path] of Object.entries(ctx.paths)) checkFilePath(path, `paths.${field}`);
  if (ctx.log.kind === 'unix') checkFilePath(ctx.log.path, 'log.path');
  if (ctx.log.kind === 'agent') checkFilePath(ctx.log.socket, 'log.socket');
  if (ctx.log.kind === 'agent-pipe' && !(Number.isInteger(ctx.log.fd) && ctx.log.fd > 2 && ctx.log.fd < 1024)) {
    throw new ConfigError(`amphora render context: log.fd must be an inherited descriptor above 2, not ${ctx.log.fd}.`);
  }
  if (ctx.topology === 'ACTIVE_STANDBY' && !ctx.peers.some((p) => p.name === ctx.amphoraId)) {
    throw new ConfigError('amphora render context: ACTIVE_STANDBY peers must include this amphora (named by its id).');
  }
}

export function checkVrrpContext(vrrp: VrrpContext, vipAddress: string): void {
  asConfigError(() => {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(vrrp.interface)) throw new ConfigError('vrrp.interface must be an interface name of at most 15 characters.');
    checkInteger(vrrp.virtualRouterId, 'vrrp.virtualRouterId', 1, 255);
    if (vrrp.priority !== undefined) checkInteger(vrrp.priority, 'vrrp.priority', 1, 254);
    checkIp(vrrp.sourceIp, 'vrrp.sourceIp');
    if (vrrp.peerIps.length === 0) throw new ConfigError('vrrp.peerIps must name the other amphora.');
    for (const ip of vrrp.peerIps) {
      if (isIP(checkIp(ip, 'vrrp.peerIps')) !== isIP(vrrp.sourceIp)) throw new ConfigError('vrrp.peerIps must have the family of vrrp.sourceIp.');
    }
    // The VIP travels in the adverts of its instance, which carry one address family.
    if (isIP(checkIp(vipAddress, 'vipAddress')) !== isIP(vrrp.sourceIp)) throw new ConfigError('vipAddress must have the family of vrrp.sourceIp.');
    const advert = vrrp.advertIntSeconds ?? DEFAULT_ADVERT_INT_SECONDS;
    // keepalived's VRRPv3 range; below 0.1 s false failovers appeared under load (docs/dataplane.md §7).
    if (!(advert >= 0.01 && advert <= 255)) throw new ConfigError('vrrp.advertIntSeconds must be from 0.01 to 255.');
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(vrrp.scriptUser)) throw new ConfigError('vrrp.scriptUser must be a user name.');
    const garp = { ...GARP_DEFAULTS, ...vrrp.garp };
    checkInteger(garp.masterDelaySeconds, 'vrrp.garp.masterDelaySeconds', 0, 1000);
    checkInteger(garp.masterRefreshSeconds, 'vrrp.garp.masterRefreshSeconds', 0, 1000);
    checkInteger(garp.masterRefreshRepeat, 'vrrp.garp.masterRefreshRepeat', 1, 1000);
    checkInteger(garp.lowerPrioRepeat, 'vrrp.garp.lowerPrioRepeat', 1, 1000);
  });
  checkFilePath(vrrp.trackFile, 'vrrp.trackFile');
  checkFilePath(vrrp.notifyScript, 'vrrp.notifyScript');
  checkFilePath(vrrp.haproxyCheckScript, 'vrrp.haproxyCheckScript');
  checkFilePath(vrrp.haproxyPidFile, 'vrrp.haproxyPidFile');
}
