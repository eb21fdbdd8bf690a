// keepalived.conf for one amphora of an ACTIVE_STANDBY load balancer: VRRPv3 over unicast between
// the two amphorae, the VIP as the virtual address. Both start as BACKUP with nopreempt, so a
// returning amphora does not take the VIP back (priority only decides the first election).
// HAProxy's health reaches keepalived through a file the agent writes: process tracking does not
// work inside a network namespace (docs/dataplane.md §7). A script keepalived runs itself every
// second is the fallback for when the agent is dead. Pure.
import { isIP } from 'node:net';
import { ConfigError } from '../../errors.ts';
import type { LbGraph } from '../../model/lb-graph.ts';
import { checkContext, checkVrrpContext, DEFAULT_ADVERT_INT_SECONDS, GARP_DEFAULTS, type AmphoraRenderContext } from './context.ts';
import { checkId } from './haproxy-quote.ts';

export const VRRP_PRIORITY = { MASTER: 100, BACKUP: 90 } as const;
const TRACK_NAME = 'haproxy_serving';
const CHECK_NAME = 'haproxy_alive';

/** `lb` + the first 13 hex digits of the load balancer id: ≤ 15 characters, like interface names. */
export function vrrpInstanceName(loadBalancerId: string): string {
  return `lb${checkId(loadBalancerId, 'load balancer id').replaceAll('-', '').slice(0, 13)}`;
}

function block(header: string, lines: string[]): string[] {
  return [`${header} {`, ...lines.map((l) => `    ${l}`), '}'];
}

export function renderKeepalivedConfig(graph: LbGraph, ctx: AmphoraRenderContext): string {
  checkContext(ctx);
  const vrrp = ctx.vrrp;
  if (ctx.topology !== 'ACTIVE_STANDBY' || vrrp === null) {
    throw new ConfigError('keepalived is only rendered for ACTIVE_STANDBY amphorae with a VRRP context.');
  }
  checkVrrpContext(vrrp, ctx.vipAddress);
  const garp = { ...GARP_DEFAULTS, ...vrrp.garp };
  const host = (address: string) => `${address}/${isIP(address) === 6 ? 128 : 32} dev ${vrrp.interface}`;
  // An instance's adverts carry one address family; additional VIPs of the other family move
  // with it as excluded addresses.
  const family = isIP(ctx.vipAddress);
  const sameFamily = ctx.additionalVipAddresses.filter((a) => isIP(a) === family);
  const otherFamily = ctx.additionalVipAddresses.filter((a) => isIP(a) !== family);
  const instance = [
    'state BACKUP',
    `interface ${vrrp.interface}`,
    `virtual_router_id ${vrrp.virtualRouterId}`,
    `priority ${vrrp.priority ?? VRRP_PRIORITY[vrrp.role]}`,
    'nopreempt',
    'accept',
    `advert_int ${vrrp.advertIntSeconds ?? DEFAULT_ADVERT_INT_SECONDS}`,
    `garp_master_delay ${garp.masterDelaySeconds}`,
    `garp_master_refresh ${garp.masterRefreshSeconds}`,
    `garp_master_refresh_repeat ${garp.masterRefreshRepeat}`,
    // A master hearing a lower-priority advert re-announces itself (a node that came back briefly
    // claiming MASTER left clients on its MAC, docs/dataplane.md §5).
    `garp_lower_prio_repeat ${garp.lowerPrioRepeat}`,
    `unicast_src_ip ${vrrp.sourceIp}`,
    ...block('unicast_peer', [...vrrp.peerIps].sort()),
    ...block('virtual_ipaddress', [ctx.vipAddress, ...sameFamily].map(host)),
    ...(otherFamily.length > 0 ? block('virtual_ipaddress_excluded', otherFamily.map(host)) : []),
    ...block('track_file', [TRACK_NAME]),
    ...block('track_script', [CHECK_NAME]),
    `notify "${vrrp.notifyScript}"`,
  ];
  const lines = [
    // No role here: a failover changes a live amphora's role, and a changed file would make its
    // agent reload keepalived (priority carries what the role means to VRRP).
    `# Load balancer ${checkId(graph.loadBalancer.id, 'load balancer id')}, amphora ${ctx.amphoraId}. Rendered by Fulcrum.`,
    ...block('global_defs', [
      `router_id ${ctx.amphoraId}`,
      'vrrp_version 3',
      // keepalived refuses to run scripts (notify, check) unless told whom to run them as.
      'enable_script_security',
      `script_user ${vrrp.scriptUser}`,
    ]),
    '',
    // weight 0: any non-zero value in the file puts the instance in FAULT. Until the agent has
    // written the file, HAProxy is assumed not serving.
    ...block(`vrrp_track_file ${TRACK_NAME}`, [`file "${vrrp.trackFile}"`, 'weight 0', 'init_file 1']),
    '',
    // The fallback when no agent writes the file: a failure is FAULT too (weight 0). Intervals
    // are whole seconds. Two failures in a row: a pid file read while HAProxy rewrites it, or the
    // moment between an agent-restarted HAProxy's death and its new pid, is no failover (the
    // track file has the agent's word on those); one success is enough to recover.
    ...block(`vrrp_script ${CHECK_NAME}`, [`script "${vrrp.haproxyCheckScript} ${vrrp.haproxyPidFile}"`, 'interval 1', 'weight 0', 'fall 2', 'rise 1']),
    '',
    ...block(`vrrp_instance ${vrrpInstanceName(graph.loadBalancer.id)}`, instance),
  ];
  return `${lines.join('\n')}\n`;
}
