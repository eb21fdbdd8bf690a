// CIDR helpers for listener allowed_cidrs and the IPAM: validate, family, the network form
// Octavia stores ("10.0.0.5/24" → "10.0.0.0/24"), overlap and host addresses. Pure.
import { isIP } from 'node:net';

export function v6ToBigInt(address: string): bigint {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const parse = (part: string) => (part ? part.split(':') : []);
  let groups = parse(head);
  let rest = tail === undefined ? [] : parse(tail);
  const last = (rest.length ? rest : groups).at(-1);
  if (last?.includes('.')) {
    const [a, b, c, d] = last.split('.').map(Number);
    const embedded = [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    if (rest.length) rest = [...rest.slice(0, -1), ...embedded];
    else groups = [...groups.slice(0, -1), ...embedded];
  }
  const fill = tail === undefined ? [] : Array(8 - groups.length - rest.length).fill('0');
  return [...groups, ...fill, ...rest].reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function bigIntToV6(value: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  // The WHATWG URL parser writes IPv6 hosts in RFC 5952 canonical (compressed) form.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

export function cidrFamily(cidr: string): 4 | 6 | 0 {
  const [ip, prefix, ...extra] = cidr.split('/');
  const family = isIP(ip);
  if (extra.length || family === 0 || prefix === undefined || !/^\d{1,3}$/.test(prefix)) return 0;
  return Number(prefix) <= (family === 4 ? 32 : 128) ? (family as 4 | 6) : 0;
}

export function normaliseCidr(cidr: string): string {
  const family = cidrFamily(cidr);
  if (family === 0) throw new Error(`not a CIDR: ${cidr}`);
  const [ip, p] = cidr.split('/');
  const prefix = Number(p);
  if (family === 4) {
    const n = ip.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const net = (n & mask) >>> 0;
    return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${prefix}`;
  }
  const mask = prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
  return `${bigIntToV6(v6ToBigInt(ip) & mask)}/${prefix}`;
}

function v4ToBigInt(address: string): bigint {
  return BigInt(address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0));
}

function bigIntToV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 255n).toString()).join('.');
}

export function addressToBigInt(address: string): bigint {
  return isIP(address) === 4 ? v4ToBigInt(address) : v6ToBigInt(address);
}

export function bigIntToAddress(value: bigint, family: 4 | 6): string {
  return family === 4 ? bigIntToV4(value) : bigIntToV6(value);
}

/** Whether `address` lies inside `cidr` (same family). */
export function cidrContains(cidr: string, address: string): boolean {
  const family = cidrFamily(cidr);
  if (family === 0 || isIP(address) !== family) return false;
  const [net, prefix] = cidr.split('/');
  const bits = family === 4 ? 32 : 128;
  const shift = BigInt(bits - Number(prefix));
  return addressToBigInt(net) >> shift === addressToBigInt(address) >> shift;
}

/** The address in its one canonical text form, so equal addresses compare equal as strings. */
export function canonicalAddress(address: string): string {
  return isIP(address) === 6 ? bigIntToV6(v6ToBigInt(address)) : address;
}

/**
 * The offsets inside `cidr` a port may hold, as Neutron allows them: never the network address
 * nor, for IPv4, the broadcast address, except on /31 and /32 (IPv6 /127 and /128), whose
 * every address is a host.
 */
function hostOffsets(cidr: string): { base: bigint; family: 4 | 6; first: bigint; last: bigint } {
  const family = cidrFamily(cidr);
  if (family === 0) throw new Error(`not a CIDR: ${cidr}`);
  const [net, p] = normaliseCidr(cidr).split('/');
  const size = 1n << BigInt((family === 4 ? 32 : 128) - Number(p));
  const base = addressToBigInt(net);
  if (size <= 2n) return { base, family, first: 0n, last: size - 1n };
  return { base, family, first: 1n, last: family === 4 ? size - 2n : size - 1n };
}

/** Whether `address` may be handed to a port on `cidr`: inside it and not reserved. */
export function isHostAddress(cidr: string, address: string): boolean {
  if (!cidrContains(cidr, address)) return false;
  const { base, first, last } = hostOffsets(cidr);
  const offset = addressToBigInt(address) - base;
  return offset >= first && offset <= last;
}

/** Whether two CIDRs share any address (never across families). */
export function cidrsOverlap(a: string, b: string): boolean {
  const fa = cidrFamily(a);
  if (fa === 0 || fa !== cidrFamily(b)) return false;
  const [na, pa] = a.split('/');
  const [nb, pb] = b.split('/');
  const shorter = Math.min(Number(pa), Number(pb));
  const shift = BigInt((fa === 4 ? 32 : 128) - shorter);
  return addressToBigInt(na) >> shift === addressToBigInt(nb) >> shift;
}

/** The first host address of `cidr` (see isHostAddress) not in `taken`; null when the subnet is full. */
export function firstFreeAddress(cidr: string, taken: ReadonlySet<string>): string | null {
  const { base, family, first, last } = hostOffsets(cidr);
  const takenNumbers = new Set([...taken].map((a) => addressToBigInt(a)));
  for (let i = first; i <= last; i++) {
    if (!takenNumbers.has(base + i)) return bigIntToAddress(base + i, family);
    if (i - first > 1_000_000n) return null;
  }
  return null;
}
