// Where an amphora's files live. This is the contract with the config renderer: the rendered
// haproxy.cfg must name the stats socket and server-state file below, and keepalived.conf the
// track file, the notify script, the check script and HAProxy's pid file. Everything else (pid files, the master CLI) the agent passes on the command line.
import { join } from 'node:path';

export interface AmphoraLayout {
  runDir: string;
  /** `{ "netns": … }`, so a restarted agent knows its amphorae. */
  meta: string;
  haproxyConfig: string;
  haproxyPid: string;
  /** Master CLI, given as `-S`: `show proc`, `reload`. */
  masterSocket: string;
  /** Admin stats socket: `stats socket <this> mode 600 level admin expose-fd listeners`. */
  statsSocket: string;
  /** `server-state-file <this>` with `load-server-state-from-file global`. */
  serverState: string;
  haproxyLog: string;
  keepalivedConfig: string;
  keepalivedPid: string;
  vrrpPid: string;
  keepalivedLog: string;
  /** keepalived `track_file` (weight 0): "1" puts the VRRP instance in FAULT. */
  trackFile: string;
  /** keepalived's `notify` script, written by the agent: records each VRRP state in `vrrpState`. */
  notifyScript: string;
  /** keepalived's `vrrp_script`, haproxy-alive.sh copied here by the agent: is `haproxyPid`'s process alive? */
  haproxyCheckScript: string;
  /** The instance's last VRRP state (MASTER, BACKUP, FAULT, STOP), one word. */
  vrrpState: string;
  /** The PEM files haproxy.cfg names (`<runDir>/certs`, as the controller renders it). */
  certDir: string;
  /**
   * Named pipe HAProxy logs to: each HAProxy the agent starts inherits it, opened for reading and
   * writing (so it never sees a closed pipe), as HAPROXY_LOG_FD (`log fd@3`).
   */
  logPipe: string;
  /** Unix stream socket HAProxy's log ring connects to (`server agent unix@<this>`), for FULCRUM_HAPROXY_LOG_TRANSPORT=ring. */
  logSocket: string;
  /** The access log, JSON lines, with `<this>.1` before it (access-log-store.ts). */
  accessLog: string;
  /** HAProxy's administrative messages from the log ring, with `<this>.1` before it. */
  adminLog: string;
  /** The controller's last UDP/SCTP plan, and the nftables file last rendered from it. */
  l4Plan: string;
  l4Ruleset: string;
}

/** The descriptor HAProxy inherits the log pipe as; the renderer writes `log fd@3` (src/providers/amphora/render-context.ts). */
export const HAPROXY_LOG_FD = 3;

/** Unix socket paths are limited to 107 bytes (sun_path). */
export const MAX_SOCKET_PATH = 107;

export function amphoraLayout(baseDir: string, amphoraId: string): AmphoraLayout {
  const runDir = join(baseDir, amphoraId);
  const file = (name: string) => join(runDir, name);
  return {
    runDir,
    meta: file('amphora.json'),
    haproxyConfig: file('haproxy.cfg'),
    haproxyPid: file('haproxy.pid'),
    masterSocket: file('master.sock'),
    statsSocket: file('haproxy.sock'),
    serverState: file('servers.state'),
    haproxyLog: file('haproxy.log'),
    keepalivedConfig: file('keepalived.conf'),
    keepalivedPid: file('keepalived.pid'),
    vrrpPid: file('vrrp.pid'),
    keepalivedLog: file('keepalived.log'),
    trackFile: file('haproxy.track'),
    notifyScript: file('keepalived-notify.sh'),
    haproxyCheckScript: file('haproxy-alive.sh'),
    vrrpState: file('vrrp.state'),
    certDir: file('certs'),
    logPipe: file('log.pipe'),
    logSocket: file('log.sock'),
    accessLog: file('access.log'),
    adminLog: file('haproxy-admin.log'),
    l4Plan: file('l4-plan.json'),
    l4Ruleset: file('l4.nft'),
  };
}
