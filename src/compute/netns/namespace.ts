// Plumbing one network namespace onto a Linux bridge, and taking it away again. Shared by the
// netns compute driver (amphorae) and the test helper (member servers), so both get the same
// idempotent, announced, cleanly removable namespaces.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pidRunning } from '../../agent/process-table.ts';
import { ip, ipBatch, IpCommandError } from './ip-command.ts';
import { INNER_INTERFACE } from './names.ts';

/** An interface address with its prefix length. */
export interface Cidr {
  address: string;
  prefixLength: number;
}

export function parseCidr(text: string): Cidr {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) throw new Error(`${JSON.stringify(text)} is not an address with a prefix length (like 10.213.0.1/16)`);
  return checkedCidr(m[1], Number(m[2]));
}

export function checkedCidr(address: string, prefixLength: number): Cidr {
  const family = isIP(address);
  if (family === 0) throw new Error(`${JSON.stringify(address)} is not an IP address`);
  const max = family === 4 ? 32 : 128;
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > max) {
    throw new Error(`prefix length ${prefixLength} is out of range for ${address}`);
  }
  return { address, prefixLength };
}

function cidrText(c: Cidr): string {
  return `${c.address}/${c.prefixLength}`;
}

/** IPv6 text has many spellings; compare the canonical one. */
function canonical(address: string): string {
  return isIP(address) === 6 ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}

export function netnsExists(netns: string): boolean {
  return existsSync(`/run/netns/${netns}`);
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

export interface NamespacePlug {
  netns: string;
  /** Host side of the veth pair; the namespace side is always `eth0`. */
  veth: string;
  bridge: string;
  /** Given to the bridge when set, so the host can reach the namespaces (and route for them). */
  bridgeAddress: Cidr | null;
  /** Written as the host veth's alias: two owners that map to the same names fail, not share. */
  owner: string;
  addresses: Cidr[];
  /** Default route, on-link through eth0 (a /32 VIP has no connected route to it). */
  gateway: string | null;
}

/**
 * Creates what is missing and converges the rest, so calling it again (a retried flow step)
 * neither fails nor duplicates anything. Returns once the addresses are usable and announced.
 */
export async function plugNamespace(p: NamespacePlug): Promise<void> {
  const haveVeth = linkExists(p.veth);
  if (haveVeth) {
    const alias = readFileSync(`/sys/class/net/${p.veth}/ifalias`, 'utf8').trim();
    if (alias !== '' && alias !== p.owner) throw new Error(`${p.veth} belongs to ${alias}, not ${p.owner}: their names collide`);
  }
  const haveNetns = netnsExists(p.netns);
  try {
    await converge(p, haveNetns, haveVeth);
  } catch (err) {
    // A namespace this call made must not outlive its failure: nothing records it yet, so a
    // reverted flow would never delete it. One that was there before may be serving; keep it.
    if (!haveNetns) {
      await removeNamespace(p.netns, p.veth).catch((cleanup: Error) => {
        (err as Error).message += `; removing the half-made ${p.netns} failed too: ${cleanup.message}`;
      });
    }
    throw err;
  }
}

/** SYN and accept queue depth in an amphora: HAProxy's global maxconn stays under ~9980 here. */
export const AMPHORA_SYN_BACKLOG = 10_000;

async function converge(p: NamespacePlug, haveNetns: boolean, haveVeth: boolean): Promise<void> {
  if (!linkExists(p.bridge)) await createBridge(p.bridge);
  const root: string[][] = [];
  if (!haveNetns) root.push(['netns', 'add', p.netns]);
  // A veth without its namespace is what is left of a namespace deleted behind our back: its
  // eth0 is gone with it, so make a fresh pair.
  if (haveVeth && !haveNetns) root.push(['link', 'del', p.veth]);
  if (!haveVeth || !haveNetns) root.push(['link', 'add', p.veth, 'type', 'veth', 'peer', 'name', INNER_INTERFACE, 'netns', p.netns]);
  root.push(['link', 'set', p.veth, 'alias', p.owner, 'master', p.bridge, 'up']);
  root.push(['link', 'set', p.bridge, 'up']);
  if (p.bridgeAddress) root.push(addressLine(p.bridgeAddress, p.bridge, true));
  root.push([
    'netns', 'exec', p.netns, 'sysctl', '-q', '-w',
    // A new namespace starts from kernel defaults, not the host's: the standby of an
    // ACTIVE_STANDBY pair binds the VIP before keepalived gives it the address.
    'net.ipv4.ip_nonlocal_bind=1',
    'net.ipv6.ip_nonlocal_bind=1',
    // IPv6 addresses keep duplicate address detection (a clash fails the plug), shortened to
    // ~0.1 s; when it completes the kernel announces the address (unsolicited NA), which is
    // the IPv6 counterpart of the gratuitous ARP below.
    'net.ipv6.conf.all.ndisc_notify=1',
    `net.ipv6.neigh.${INNER_INTERFACE}.retrans_time_ms=100`,
    `net.ipv6.conf.${INNER_INTERFACE}.router_solicitation_delay=0`,
    // SYN floods (docs/dataplane.md §9): cookies once the SYN queue is full, and
    // queues as deep as HAProxy's connection ceiling, so a burst of legitimate connections
    // is not dropped before HAProxy can accept it.
    'net.ipv4.tcp_syncookies=1',
    `net.ipv4.tcp_max_syn_backlog=${AMPHORA_SYN_BACKLOG}`,
    `net.core.somaxconn=${AMPHORA_SYN_BACKLOG}`,
  ]);
  await ipBatch(root);

  const inner: string[][] = [
    ['link', 'set', 'lo', 'up'],
    ['link', 'set', INNER_INTERFACE, 'up'],
    ...p.addresses.map((a) => addressLine(a, INNER_INTERFACE, false)),
  ];
  if (p.gateway) inner.push(['route', 'replace', 'default', 'via', p.gateway, 'dev', INNER_INTERFACE, 'onlink']);
  await ipBatch(inner, p.netns);

  await Promise.all([
    ...p.addresses.filter((a) => isIP(a.address) === 4).map((a) => gratuitousArp(p.netns, a.address)),
    waitForDad(p.netns, p.addresses.filter((a) => isIP(a.address) === 6)),
  ]);
}

/**
 * Takes addresses over into a plugged namespace's eth0 and announces them with a gratuitous
 * ARP, so peers switch to this namespace's MAC at once. The amphora being replaced may still
 * hold them, so IPv6 skips duplicate address detection (it would fail). Idempotent.
 */
export async function addAddresses(netns: string, addresses: Cidr[]): Promise<void> {
  if (addresses.length === 0) return;
  await ipBatch(addresses.map((a) => addressLine(a, INNER_INTERFACE, true)), netns);
  await Promise.all(addresses.filter((a) => isIP(a.address) === 4).map((a) => gratuitousArp(netns, a.address)));
}

function addressLine(a: Cidr, dev: string, skipDad: boolean): string[] {
  const line = ['addr', 'replace', cidrText(a), 'dev', dev];
  return skipDad && isIP(a.address) === 6 ? [...line, 'nodad'] : line;
}

async function createBridge(bridge: string): Promise<void> {
  // A bridge without a fixed MAC takes the lowest MAC of its ports and changes it as veths come
  // and go, which leaves every namespace's neighbour entry for the gateway pointing nowhere.
  const mac = randomBytes(6);
  mac[0] = (mac[0] & 0xfe) | 0x02;
  const address = [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
  try {
    await ip(['link', 'add', bridge, 'address', address, 'type', 'bridge']);
  } catch (err) {
    // Another amphora being plugged at the same moment made it.
    if (!(err instanceof IpCommandError && /File exists/.test(err.stderr))) throw err;
  }
}

/**
 * A rebuilt amphora has a new MAC for an old address; peers (the other VRRP node, the host)
 * keep sending to the old MAC until their neighbour entry expires, tens of seconds
 * (docs/dataplane.md §5). An unsolicited ARP updates their entries at once.
 */
async function gratuitousArp(netns: string, address: string): Promise<void> {
  // -S: this arping (Habets') otherwise sends the interface's first address as the sender,
  // which updates the peers' entry for that address and leaves every other one stale.
  await ip(['netns', 'exec', netns, 'arping', '-q', '-U', '-S', address, '-c', '1', '-w', '0', '-i', INNER_INTERFACE, address], {
    // arping exits 1 when nobody answers, which a gratuitous ARP never expects; real errors
    // (no such interface, cannot open the socket) exit 1 too but say so on stderr.
    accept: (r) => r.exitCode === 1 && r.stderr.trim() === '',
  });
}

async function waitForDad(netns: string, addresses: Cidr[], timeoutMs = 5000): Promise<void> {
  if (addresses.length === 0) return;
  const wanted = new Set(addresses.map((a) => canonical(a.address)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await ip(['-n', netns, '-j', '-6', 'addr', 'show', 'dev', INNER_INTERFACE]);
    const infos: { local: string; tentative?: boolean; dadfailed?: boolean }[] = (JSON.parse(out.stdout) as { addr_info: [] }[]).flatMap((l) => l.addr_info);
    const ours = infos.filter((i) => wanted.has(canonical(i.local)));
    const clash = ours.find((i) => i.dadfailed);
    if (clash) throw new Error(`${clash.local} is already in use on the bridge (duplicate address detection failed in ${netns})`);
    if (ours.length === wanted.size && !ours.some((i) => i.tentative)) return;
    if (Date.now() > deadline) throw new Error(`duplicate address detection for ${[...wanted].join(', ')} in ${netns} did not finish within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/**
 * SIGKILLs everything running in the namespace and waits until it has died; a process left
 * behind would keep the namespace, and the sockets bound in it, alive after `ip netns del`.
 */
export async function killNamespaceProcesses(netns: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let listed: string;
    try {
      listed = (await ip(['netns', 'pids', netns])).stdout;
    } catch (err) {
      if (!netnsExists(netns)) return;
      throw err;
    }
    const alive = listed.split(/\s+/).filter(Boolean).map(Number).filter(pidRunning);
    if (alive.length === 0) return;
    if (Date.now() > deadline) throw new Error(`processes ${alive.join(', ')} in ${netns} survived SIGKILL for ${timeoutMs} ms`);
    for (const pid of alive) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
    await sleep(10);
  }
}

/** Kills what runs inside, then removes the veth (synchronously, unlike the namespace's own teardown) and the namespace. */
export async function removeNamespace(netns: string, veth: string): Promise<void> {
  if (netnsExists(netns)) await killNamespaceProcesses(netns);
  const lines: string[][] = [];
  if (linkExists(veth)) lines.push(['link', 'del', veth]);
  if (netnsExists(netns)) lines.push(['netns', 'del', netns]);
  await ipBatch(lines);
}
