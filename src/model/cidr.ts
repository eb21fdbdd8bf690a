// CIDR helpers for listener allowed_cidrs: validate, family, and the network form Octavia
// stores ("10.0.0.5/24" → "10.0.0.0/24"). Pure.
import { isIP } from 'node:net';

function v6ToBigInt(address: string): bigint {
  let [head, tail] = address.split('::') as [string, string | undefined];
  const parse = (part: string) => (part ? part.split(':') : []);
  let groups = parse(head);
  let rest = tail === undefined ? [] : parse(tail);
  const last = (rest.length ? rest : groups).at(-1);
  if (last && last.includes('.')) {
    const [a, b, c, d] = last.split('.').map(Number);
    const embedded = [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    if (rest.length) rest = [...rest.slice(0, -1), ...embedded];
    else groups = [...groups.slice(0, -1), ...embedded];
  }
  const fill = tail === undefined ? [] : Array(8 - groups.length - rest.length).fill('0');
  return [...groups, ...fill, ...rest].reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function bigIntToV6(value: bigint): string {
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
