// The CIDR of the `local` subnet `serve` registers on a data dir's first start. Every address
// of 127.0.0.0/8 is local, so two Fulcrum instances on one host would both hand out the same
// first VIP from a fixed range, and their HAProxies would share VIP:port (SO_REUSEPORT)
// without an error. Each data dir gets its own /16 instead: derived from its path, moving on
// past ranges where something already listens.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** 127.10.0.0/16 to 127.199.0.0/16: clear of 127.0.0.1 and of the benchmarks' 127.201+ subnets. */
const FIRST = 10;
const COUNT = 190;

/** The /16s to try for `dataDir`, its own first. */
export function localSubnetCandidates(dataDir: string): string[] {
  const start = createHash('sha256').update(dataDir).digest().readUInt32BE(0) % COUNT;
  return Array.from({ length: COUNT }, (_, i) => `127.${FIRST + ((start + i) % COUNT)}.0.0/16`);
}

/** The first candidate in which no listening IPv4 socket is bound. */
export function pickLocalSubnet(dataDir: string, busySecondOctets: ReadonlySet<number>): string {
  const candidates = localSubnetCandidates(dataDir);
  return candidates.find((c) => !busySecondOctets.has(Number(c.split('.')[1]))) ?? candidates[0];
}

/** Second octets of 127.x.y.z addresses with a listening TCP socket (from /proc/net/tcp). */
export function listeningLoopbackOctets(): Set<number> {
  const busy = new Set<number>();
  let text = '';
  try {
    text = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return busy;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '0A') continue;
    // Little-endian hex: "0100007F" is 127.0.0.1; the first octet is the last byte.
    const hex = f[1].split(':')[0];
    if (hex.length === 8 && parseInt(hex.slice(6, 8), 16) === 127) busy.add(parseInt(hex.slice(4, 6), 16));
  }
  return busy;
}
