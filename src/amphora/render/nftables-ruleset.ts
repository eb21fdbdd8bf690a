// The nftables table that serves an amphora's UDP and SCTP listeners (docs/dataplane.md §10):
// the first packet of a flow is DNATed to a member picked through a map (`numgen inc` for
// round robin, `jhash` for source-ip and source-ip-port), conntrack carries the rest of the flow
// and its replies, and masquerading makes the replies come back through the amphora. SOURCE_IP
// persistence adds a dynamic map per listener and family that remembers, for a while, which
// member each client reached. The file replaces the whole table in one `nft -f` transaction,
// so a change never shows a half-written table; conntrack entries of existing flows survive it
// untouched, and the clients the old table remembered are written into the new one. Pure.
import { isIP } from 'node:net';
import { cidrFamily } from '../../model/cidr.ts';
import { UnsafeConfigValue } from './errors.ts';
import type { L4Listener, L4Member, L4Persistence, L4Plan } from './l4-plan.ts';

export const NFT_TABLE = 'inet fulcrum_l4';

export type Family = 4 | 6;

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

/** A client the persistence maps remember: its (masked) address, its member, the seconds left. */
export interface RememberedClient {
  client: string;
  address: string;
  port: number;
  expiresS: number;
}

/** Remembered clients by `persistenceMaps(...).address`, the name of the listener and family's address map. */
export type Remembered = ReadonlyMap<string, readonly RememberedClient[]>;

/**
 * The two maps of one listener and address family, client → member address and client →
 * member port (one map of address and port is what nft 1.0.6 cannot update from the packet
 * path for IPv6 keys). Their names must survive a table replacement.
 */
export function persistenceMaps(listenerId: string, family: Family): { address: string; port: string } {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(listenerId)) refuse('listener id', 'must be an identifier');
  return { address: `persist${family}a-${listenerId}`, port: `persist${family}p-${listenerId}` };
}

/** The listener and family a persistence map serves, from its name; null for other names. */
export function persistenceMapOf(name: string): { listenerId: string; family: Family; part: 'address' | 'port' } | null {
  const m = /^persist([46])([ap])-([A-Za-z0-9_-]{1,128})$/.exec(name);
  return m ? { listenerId: m[3], family: Number(m[1]) as Family, part: m[2] === 'a' ? 'address' : 'port' } : null;
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

/** The source address as a persistence map's key: masked by the granularity (IPv4 only). */
function clientKey(family: Family, persistence: L4Persistence): string {
  const { ip } = familyWords(family);
  return family === 4 && persistence.prefix < 32 ? `${ip} saddr and ${prefixMask(persistence.prefix)}` : `${ip} saddr`;
}

/**
 * The rules that DNAT a listener's new flows on one VIP: with persistence, first the clients the
 * map remembers (a client it does not know falls through), then the pick among the slots.
 */
function dnatRules(listener: L4Listener, vip: string, slots: L4Member[]): string[] {
  const pool = listener.pool;
  if (!pool || slots.length === 0) return [];
  const family = isIP(vip) as Family;
  const { ip, addr } = familyWords(family);
  const proto = protocol(listener.protocol);
  const cidrs = listener.allowedCidrs.map(cidr).filter((c) => cidrFamily(c) === family);
  if (listener.allowedCidrs.length > 0 && cidrs.length === 0) return [];
  const match = [`${ip} daddr ${address(vip, 'vip_address')}`, `${proto} dport ${port(listener.port, 'protocol_port')}`];
  if (cidrs.length > 0) match.push(`${ip} saddr { ${cidrs.join(', ')} }`);
  let key: string;
  if (pool.selection === 'round-robin') key = `numgen inc mod ${slots.length}`;
  else {
    const hashed = pool.selection === 'source-ip-port' ? `${ip} saddr . ${proto} sport` : `${ip} saddr`;
    key = `jhash ${hashed} mod ${slots.length} seed ${seedOf(pool.id)}`;
  }
  const elements = slots.map((m, i) => `${i} : ${addr(address(m.address, 'member address'))} . ${port(m.port, 'member protocol_port')}`);
  const comment = `comment "listener ${commentId(listener.id, 'listener id')}"`;
  const pick = `${match.join(' ')} dnat ${ip} to ${key} map { ${elements.join(', ')} } ${comment}`;
  if (!pool.persistence) return [pick];
  const maps = persistenceMaps(listener.id, family);
  const client = clientKey(family, pool.persistence);
  const remembered = `${match.join(' ')} dnat ${ip} to ${client} map @${maps.address} : ${client} map @${maps.port} ${comment}`;
  return [remembered, pick];
}

function prefixMask(prefix: number): string {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) refuse('persistence_granularity', 'must be a netmask');
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join('.');
}

/**
 * Count the packets of flows through one listener to one member, per direction, and the flows
 * themselves (their first packet): the comment `member <listener> <member> in|out|new` names the
 * counter for the agent's statistics. With persistence, every packet from a client to a member
 * that takes new flows (re)writes the client's entry in the map, so an entry lasts the timeout
 * after the client's last packet; a member out of the slots (down, drained, removed) refreshes
 * no one, and its clients are forgotten when the table is next replaced.
 */
function memberCounters(listener: L4Listener, vip: string, member: L4Member, inSlots: boolean): string[] {
  const family = isIP(vip) as Family;
  if (isIP(member.address) !== family) return [];
  const { ip } = familyWords(family);
  const proto = protocol(listener.protocol);
  const match = [
    `meta l4proto ${proto}`,
    `ct original ${ip} daddr ${vip} ct original proto-dst ${listener.port}`,
    `ct reply ${ip} saddr ${member.address} ct reply proto-src ${member.port}`,
  ].join(' ');
  const name = `member ${commentId(listener.id, 'listener id')} ${commentId(member.id, 'member id')}`;
  const persistence = listener.pool?.persistence;
  let remember = '';
  if (persistence && inSlots) {
    const maps = persistenceMaps(listener.id, family);
    const client = clientKey(family, persistence);
    remember = ` update @${maps.address} { ${client} : ${member.address} } update @${maps.port} { ${client} : ${member.port} }`;
  }
  return [
    `${match} ct direction original ct state new counter comment "${name} new"`,
    `${match} ct direction original counter${remember} comment "${name} in"`,
    `${match} ct direction reply counter comment "${name} out"`,
  ];
}

/** The maps of one listener and family, with the clients the replaced table remembered that may stay. */
function persistenceMapLines(listener: L4Listener, family: Family, slots: L4Member[], remembered: Remembered): string[] {
  const persistence = listener.pool!.persistence!;
  const { ip } = familyWords(family);
  const proto = protocol(listener.protocol);
  const maps = persistenceMaps(listener.id, family);
  const timeout = Number.isInteger(persistence.timeoutS) && persistence.timeoutS > 0 ? persistence.timeoutS : refuse('persistence_timeout', 'must be a positive number of seconds');
  const members = new Set(slots.map((m) => `${m.address} ${m.port}`));
  const mask = family === 4 && persistence.prefix < 32 ? prefixMask(persistence.prefix) : null;
  const kept = (remembered.get(maps.address) ?? []).filter(
    (r) => isIP(r.client) === family && members.has(`${r.address} ${r.port}`) && (mask === null || maskAddress(r.client, mask) === r.client) && r.expiresS > 0,
  );
  const element = (r: RememberedClient, value: string | number) => `${r.client} timeout ${timeout}s expires ${Math.min(Math.ceil(r.expiresS), timeout)}s : ${value}`;
  const map = (name: string, data: string, values: string[]) => [
    `\tmap ${name} {`,
    `\t\ttypeof ${ip} saddr : ${data}`,
    '\t\tflags dynamic,timeout',
    `\t\ttimeout ${timeout}s`,
    ...(values.length > 0 ? [`\t\telements = { ${values.join(', ')} }`] : []),
    '\t}',
  ];
  return [
    ...map(maps.address, `${ip} daddr`, kept.map((r) => element(r, r.address))),
    ...map(maps.port, `${proto} dport`, kept.map((r) => element(r, r.port))),
  ];
}

function maskAddress(v4: string, mask: string): string {
  const m = mask.split('.').map(Number);
  return v4
    .split('.')
    .map((o, i) => Number(o) & m[i])
    .join('.');
}

/**
 * The `nft -f` input that replaces the table; `down`: members the agent's probes took out;
 * `remembered`: what the persistence maps of the table being replaced held.
 */
export function renderNftables(plan: L4Plan, down: ReadonlySet<string> = new Set(), remembered: Remembered = new Map()): string {
  // Declaring the table first makes the delete succeed when it does not exist yet.
  const head = [`table ${NFT_TABLE}`, `delete table ${NFT_TABLE}`];
  if (plan.listeners.length === 0) return `${head.join('\n')}\n`;
  const maps: string[] = [];
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
    const mapped = new Set<Family>();
    for (const vip of listener.vips) {
      const family = isIP(vip) as Family;
      const slots = memberSlots(members.filter((m) => isIP(m.address) === family), down);
      const rules = dnatRules(listener, vip, slots);
      dnat.push(...rules);
      if (listener.pool?.persistence && rules.length > 0 && !mapped.has(family)) {
        mapped.add(family);
        maps.push(...persistenceMapLines(listener, family, slots, remembered));
      }
      const slotIds = new Set(slots.map((m) => m.id));
      for (const m of members) counters.push(...memberCounters(listener, vip, m, rules.length > 0 && slotIds.has(m.id)));
    }
  }
  const chain = (name: string, hook: string, rules: string[]) => [`\tchain ${name} {`, `\t\t${hook}`, ...rules.map((r) => `\t\t${r}`), '\t}'];
  const body = [
    ...maps,
    ...chain('pick_member', 'type nat hook prerouting priority dstnat; policy accept;', dnat),
    // Members answer the amphora, which undoes both translations for the client.
    ...chain('via_amphora', 'type nat hook postrouting priority srcnat; policy accept;', ['ct status dnat masquerade']),
    ...chain('count_flows', 'type filter hook forward priority filter; policy accept;', counters),
  ];
  return `${[...head, `table ${NFT_TABLE} {`, ...body, '}'].join('\n')}\n`;
}
