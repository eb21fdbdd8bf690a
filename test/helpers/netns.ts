// Network namespaces for tests (root only). Each test file takes its own name prefix and its own
// /24 in 10.213.0.0/16 (files run two at a time, and two bridges routing the same subnet on the
// host would steal each other's traffic), puts member servers in namespaces on the amphorae's
// bridge, and removes it all in an `after()` with `cleanupPrefix(prefix)`.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ip, spawnInNetns } from '../../src/compute/netns/ip-command.ts';
import { namesOfComputeId } from '../../src/compute/netns/names.ts';
import { checkedCidr, parseCidr, plugNamespace, removeNamespace } from '../../src/compute/netns/namespace.ts';

/** `n` + 5 random characters: unique per test file, and never a prefix of another such name. */
export function testPrefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return 'n' + [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The first three octets of a /24 under 10.213.0.0/16 that nothing on the host routes yet. */
export async function freeTestSubnet(): Promise<string> {
  const routes = JSON.parse((await ip(['-j', '-4', 'route', 'show', 'table', 'all'])).stdout) as { dst: string }[];
  const used = new Set(routes.map((r) => /^10\.213\.(\d+)\./.exec(r.dst)?.[1]));
  const free = Array.from({ length: 254 }, (_, i) => String(i + 1)).filter((n) => !used.has(n));
  if (free.length === 0) throw new Error('no free /24 left in 10.213.0.0/16');
  return `10.213.${free[randomBytes(1)[0] % free.length]}`;
}

export interface HttpServer {
  readonly pid: number;
  /** Settles when the server process has exited (and been reaped). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

const SERVER = `
const [address, port, body] = process.argv.slice(1);
require('http').createServer((req, res) => res.end(body)).listen(Number(port), address, () => console.log('listening'));
`;

const UDP_ECHO = `
const [address, port, body] = process.argv.slice(1);
const s = require('dgram').createSocket(address.includes(':') ? 'udp6' : 'udp4');
s.on('message', (m, from) => s.send(body + ' ' + m, from.port, from.address));
s.bind(Number(port), address, () => console.log('listening'));
`;

/**
 * What a member server speaks: HTTP answering its name, UDP echoing `<name> <datagram>`, or SCTP
 * through the userspace fake peer (sctp_fake_peer.py; the kernel here has no SCTP sockets).
 */
export type MemberServerKind = 'http' | 'udp' | 'sctp';

export const SCTP_FAKE_PEER = fileURLToPath(new URL('./sctp_fake_peer.py', import.meta.url));

/** An HTTP server inside `netns` answering every request with `body`; resolves once it listens. */
export function startHttpServer(netns: string, address: string, port: number, body: string, timeoutMs = 10_000, kind: MemberServerKind = 'http'): Promise<HttpServer> {
  // The tests' own loader (tsx) has no business in the server.
  const { NODE_OPTIONS: _, ...env } = process.env;
  const child: ChildProcess =
    kind === 'sctp'
      ? spawnInNetns(netns, 'python3', ['-u', SCTP_FAKE_PEER, 'serve', address, String(port), body], env)
      : spawnInNetns(netns, process.execPath, ['-e', kind === 'udp' ? UDP_ECHO : SERVER, address, String(port), body], env);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const server: HttpServer = {
    pid: child.pid!,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server in ${netns} on ${address}:${port} not listening after ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      if (!c.toString().includes('listening')) return;
      clearTimeout(timer);
      resolve(server);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server in ${netns} on ${address}:${port} exited (${code ?? signal}): ${stderr}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** One GET on a fresh connection (no keep-alive pool hiding which server answered), bounded. */
export function httpGet(url: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** A member (backend) server: its own namespace on the bridge, answering with its name. */
export interface Member {
  readonly name: string;
  readonly netns: string;
  readonly address: string;
  readonly port: number;
  readonly url: string;
  readonly running: boolean;
  /** Starts the server again after `stop()` (a member coming back for a health monitor). */
  start(): Promise<void>;
  /** Kills the server: the member refuses connections while its namespace stays. */
  stop(): Promise<void>;
}

export interface MemberNetOptions {
  prefix: string;
  /** The amphorae's bridge; created when missing. */
  bridge: string;
  /** Prefix length of the members' addresses (the VIP subnet's, to share it with the amphorae). */
  prefixLength: number;
  /** The host's address on the bridge (`10.213.N.1/24`), also the members' default route. */
  bridgeAddress?: string;
}

/** Member namespaces are `<prefix>-b<n>` with host veth `<prefix>b<n>`. */
export class MemberNet {
  readonly #options: MemberNetOptions;
  readonly #members: { netns: string; veth: string; server: HttpServer | null }[] = [];

  constructor(options: MemberNetOptions) {
    this.#options = options;
  }

  async add(name: string, address: string, port = 80, kind: MemberServerKind = 'http'): Promise<Member> {
    if (!/^[A-Za-z0-9_.:-]+$/.test(name)) throw new Error(`member name ${JSON.stringify(name)} must be one word`);
    const n = this.#members.length + 1;
    const slot = { netns: `${this.#options.prefix}-b${n}`, veth: `${this.#options.prefix}b${n}`, server: null as HttpServer | null };
    this.#members.push(slot);
    const bridgeAddress = this.#options.bridgeAddress ? parseCidr(this.#options.bridgeAddress) : null;
    await plugNamespace({
      netns: slot.netns,
      veth: slot.veth,
      bridge: this.#options.bridge,
      bridgeAddress,
      owner: `member:${name}`,
      addresses: [checkedCidr(address, this.#options.prefixLength)],
      gateway: bridgeAddress?.address ?? null,
    });
    const start = async () => {
      if (slot.server === null) slot.server = await startHttpServer(slot.netns, address, port, name, 10_000, kind);
    };
    await start();
    return {
      name,
      netns: slot.netns,
      address,
      port,
      url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/`,
      get running() {
        return slot.server !== null;
      },
      start,
      async stop() {
        const server = slot.server;
        slot.server = null;
        await server?.stop();
      },
    };
  }

  /** Stops every server and removes every member namespace (the bridge is the caller's). */
  async close(): Promise<void> {
    for (const slot of this.#members) {
      await slot.server?.stop();
      slot.server = null;
      await removeNamespace(slot.netns, slot.veth);
    }
  }
}

/** Deletes an amphora's namespace and veth, as a host fault or an operator's mistake would; the namespace's name. */
export async function deleteAmphoraNamespace(computeId: string): Promise<string> {
  const { netns, veth } = namesOfComputeId(computeId);
  await removeNamespace(netns, veth);
  return netns;
}
