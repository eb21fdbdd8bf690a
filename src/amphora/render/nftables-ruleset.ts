// The nftables table that serves an amphora's UDP and SCTP listeners (docs/dataplane.md §10):
// the first packet of a flow is DNATed to a member picked through a map (`numgen inc` for
// round robin, `jhash` for source-ip and source-ip-port), conntrack carries the rest of the flow
// and its replies, and masquerading makes the replies come back through the amphora. The file
// replaces the whole table in one `nft -f` transaction, so a change never shows a half-written
// table, and conntrack entries of existing flows survive it untouched. Pure.
import { isIP } from 'node:net';
import { cidrFamily } from '../../model/cidr.ts';
import { UnsafeConfigValue } from './errors.ts';
import type { L4Listener, L4Member, L4Plan } from './l4-plan.ts';

export const NFT_TABLE = 'inet fulcrum_l4';

type Family = 4 | 6;

function refuse(field: string, reason: string): never {
  throw new UnsafeConfigValue(field, reason);
}

function address(value: string, field: string): string {
  if (isIP(value) === 0) refuse(field, 'must be an IP address');
  return value;
}

function port(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) refuse(field, 'must be a port number');
  return value;
}

function protocol(value: string): string {
  if (value !== 'udp' && value !== 'sctp') refuse('protocol', 'must be udp or sctp');
  return value;
}

function cidr(value: string): string {
  const [net, len] = value.split('/');
  if (isIP(net ?? '') === 0 || !/^\d{1,3}$/.test(len ?? '')) refuse('allowed_cidrs', `${JSON.stringify(value)} is not a CIDR`);
  return value;
}

// Comments are quoted strings; ids are UUIDs, anything else is refused rather than escaped.
function commentId(value: string, field: string): string {
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(value)) refuse(field, 'must be an identifier');
  return value;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Members that take new flows, each repeated by its weight (reduced by their common divisor):
 * the map's slots. Backup members only when no other member can take the flow.
 */
export function memberSlots(members: L4Member[], down: ReadonlySet<string>): L4Member[] {
  const usable = members.filter((m) => m.enabled && m.weight > 0 && !down.has(m.id));
  const primary = usable.filter((m) => !m.backup);
  const chosen = primary.length > 0 ? primary : usable;
  const divisor = chosen.reduce((d, m) => gcd(d, m.weight), 0);
  return chosen.flatMap((m) => Array.from({ length: m.weight / divisor }, () => m));
}

/** A stable jhash seed per pool: a reload must not move every client to another member. */
function seedOf(poolId: string): string {
  return `0x${poolId.replaceAll('-', '').slice(0, 8).padEnd(8, '0')}`;
}

function familyWords(family: Family) {
  return family === 4 ? { ip: 'ip', addr: (a: string) => a } : { ip: 'ip6', addr: (a: string) => `[${a}]` };
}

function dnatRule(listener: L4Listener, vip: string, slots: L4Member[]): string | null {
  const pool = listener.pool;
  if (!pool || slots.length === 0) return null;
  const family = isIP(vip) as Family;
  const { ip, addr } = familyWords(family);
  const proto = protocol(listener.protocol);
  const cidrs = listener.allowedCidrs.map(cidr).filter((c) => cidrFamily(c) === family);
  if (listener.allowedCidrs.length > 0 && cidrs.length === 0) return null;
  const match = [`${ip} daddr ${address(vip, 'vip_address')}`, `${proto} dport ${port(listener.port, 'protocol_port')}`];
  if (cidrs.length > 0) match.push(`${ip} saddr { ${cidrs.join(', ')} }`);
  let key: string;
  if (pool.selection === 'round-robin') key = `numgen inc mod ${slots.length}`;
  else {
    const source = pool.selection === 'source-ip' && pool.sourcePrefix !== null && family === 4 ? `${ip} saddr and ${prefixMask(pool.sourcePrefix)}` : `${ip} saddr`;
    const hashed = pool.selection === 'source-ip-port' ? `${source} . ${proto} sport` : source;
    key = `jhash ${hashed} mod ${slots.length} seed ${seedOf(pool.id)}`;
  }
  const elements = slots.map((m, i) => `${i} : ${addr(address(m.address, 'member address'))} . ${port(m.port, 'member protocol_port')}`);
  return `${match.join(' ')} counter dnat ${ip} to ${key} map { ${elements.join(', ')} } comment "listener ${commentId(listener.id, 'listener id')}"`;
}

function prefixMask(prefix: number): string {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) refuse('persistence_granularity', 'must be a netmask');
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join('.');
}

/**
 * Count the packets of flows through one listener to one member, per direction: the comment
 * `member <listener> <member> in|out` names the counter for the agent's statistics.
 */
function memberCounters(listener: L4Listener, vip: string, member: L4Member): string[] {
  const family = isIP(vip) as Family;
  if (isIP(member.address) !== family) return [];
  const { ip } = familyWords(family);
  const match = [
    `meta l4proto ${protocol(listener.protocol)}`,
    `ct original ${ip} daddr ${vip} ct original proto-dst ${listener.port}`,
    `ct reply ${ip} saddr ${member.address} ct reply proto-src ${member.port}`,
  ].join(' ');
  const name = `member ${commentId(listener.id, 'listener id')} ${commentId(member.id, 'member id')}`;
  return [`${match} ct direction original counter comment "${name} in"`, `${match} ct direction reply counter comment "${name} out"`];
}

/** The `nft -f` input that replaces the table; `down`: members the agent's probes took out. */
export function renderNftables(plan: L4Plan, down: ReadonlySet<string> = new Set()): string {
  // Declaring the table first makes the delete succeed when it does not exist yet.
  const head = [`table ${NFT_TABLE}`, `delete table ${NFT_TABLE}`];
  if (plan.listeners.length === 0) return `${head.join('\n')}\n`;
  const dnat: string[] = [];
  const counters: string[] = [];
  for (const listener of plan.listeners) {
    const members = listener.pool?.members ?? [];
    // Checked up front: a member left out of the map (down, another family) is still refused.
    for (const m of members) {
      address(m.address, 'member address');
      port(m.port, 'member protocol_port');
      commentId(m.id, 'member id');
    }
    for (const vip of listener.vips) {
      const family = isIP(vip);
      const slots = memberSlots(members.filter((m) => isIP(m.address) === family), down);
      const rule = dnatRule(listener, vip, slots);
      if (rule) dnat.push(rule);
      for (const m of members) counters.push(...memberCounters(listener, vip, m));
    }
  }
  const chain = (name: string, hook: string, rules: string[]) => [`\tchain ${name} {`, `\t\t${hook}`, ...rules.map((r) => `\t\t${r}`), '\t}'];
  const body = [
    ...chain('pick_member', 'type nat hook prerouting priority dstnat; policy accept;', dnat),
    // Members answer the amphora, which undoes both translations for the client.
    ...chain('via_amphora', 'type nat hook postrouting priority srcnat; policy accept;', ['ct status dnat masquerade']),
    ...chain('count_flows', 'type filter hook forward priority filter; policy accept;', counters),
  ];
  return `${[...head, `table ${NFT_TABLE} {`, ...body, '}'].join('\n')}\n`;
}
