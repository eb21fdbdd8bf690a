// Shared by the agent-*.test.ts files: certificates, a real `fulcrum amphora-agent` process,
// Node backends, a minimal haproxy.cfg, plain HTTP probes (a new TCP connection per request),
// and a cleanup that stops, by PID, every process a test started, directly or through the agent.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Server as HttpServer, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '../../src/amphora/agent-client.ts';
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate, type PemPair } from '../../src/pki/certificate-authority.ts';
import { amphoraLayout } from '../../src/agent/layout.ts';
import { identify } from '../../src/agent/process-table.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FULCRUM = join(ROOT, 'bin/fulcrum.js');

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until<T>(what: string, timeoutMs: number, probe: () => T | null | undefined | false | Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export interface Pki {
  ca: PemPair;
  agent: PemPair;
  controller: PemPair;
  caPath: string;
  agentCertPath: string;
  agentKeyPath: string;
}

export async function makePki(dir: string): Promise<Pki> {
  const ca = await createCertificateAuthority({ commonName: 'test controller CA' });
  const agent = await issueServerCertificate(ca, { commonName: 'test-agent', ipAddresses: ['127.0.0.1'] });
  const controller = await issueClientCertificate(ca, { commonName: 'test-controller' });
  const pki = { ca, agent, controller, caPath: join(dir, 'ca.pem'), agentCertPath: join(dir, 'agent.pem'), agentKeyPath: join(dir, 'agent-key.pem') };
  writeFileSync(pki.caPath, ca.certPem);
  writeFileSync(pki.agentCertPath, agent.certPem);
  writeFileSync(pki.agentKeyPath, agent.keyPem, { mode: 0o600 });
  return pki;
}

/** A `fulcrum amphora-agent` process, started exactly as an operator would. */
export class AgentProcess {
  /** Everything it printed (JSON log lines, errors). */
  output = '';
  url = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  private constructor(cleanup: Cleanup, baseDir: string, pki: Pki, certPath: string) {
    this.child = spawn(
      process.execPath,
      [FULCRUM, 'amphora-agent', '--host', '127.0.0.1', '--port', '0', '--base-dir', baseDir, '--ca-cert', pki.caPath, '--cert', certPath, '--key', pki.agentKeyPath],
      // Its own process group, like a service: stop() signals the whole group, which must not
      // reach the haproxy and keepalived processes the agent started.
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FULCRUM_AGENT_LOG_LEVEL: 'info' }, detached: true },
    );
    cleanup.processes.add(this.child);
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null);
  }

  static async start(cleanup: Cleanup, baseDir: string, pki: Pki): Promise<AgentProcess> {
    const agent = new AgentProcess(cleanup, baseDir, pki, pki.agentCertPath);
    agent.url = await new Promise<string>((resolve, reject) => {
      void agent.exited.then((code) => reject(new Error(`agent exited with ${code} before listening: ${agent.output}`)));
      createInterface({ input: agent.child.stdout! }).on('line', (line) => {
        if (line.includes('"amphora agent listening"')) resolve((JSON.parse(line) as { address: string }).address);
      });
    });
    return agent;
  }

  /** Starts the agent with another certificate, expecting it to refuse to start. */
  static async startFailing(cleanup: Cleanup, baseDir: string, pki: Pki, certPath: string): Promise<{ code: number | null; output: string }> {
    const agent = new AgentProcess(cleanup, baseDir, pki, certPath);
    const code = await agent.exited;
    return { code, output: agent.output };
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** SIGTERM to the agent's process group, as a service manager or a terminal would send it. */
  async stop(): Promise<number | null> {
    process.kill(-this.child.pid!, 'SIGTERM');
    return this.exited;
  }
}

export function controllerClient(pki: Pki, url: string): AgentClient {
  return new AgentClient({ url, tls: { ca: pki.ca.certPem, cert: pki.controller.certPem, key: pki.controller.keyPem } });
}

/** Stops what a test file started, by PID, whatever state the test left it in. */
/** A temp dir, a PKI and a running agent for one test file; `cleanup` tears them all down. */
export async function startTestAgent(cleanup: Cleanup, name: string): Promise<{ dir: string; baseDir: string; pki: Pki; agent: AgentProcess; client: AgentClient }> {
  const dir = cleanup.tempDir(`fulcrum-agent-${name}-`);
  const baseDir = `${dir}/amphorae`;
  const pki = await makePki(dir);
  const agent = await AgentProcess.start(cleanup, baseDir, pki);
  const client = controllerClient(pki, agent.url);
  cleanup.clients.add(client);
  return { dir, baseDir, pki, agent, client };
}

export class Cleanup {
  readonly processes = new Set<ChildProcess>();
  readonly servers = new Set<NetServer>();
  readonly dirs = new Set<string>();
  readonly clients = new Set<AgentClient>();

  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.add(dir);
    return dir;
  }

  /** Every step runs even when an earlier one fails; the first failure is rethrown at the end. */
  async run(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (step: () => unknown) => {
      try {
        await step();
      } catch (err) {
        errors.push(err);
      }
    };
    for (const client of this.clients) await attempt(() => client.close());
    for (const child of this.processes) if (child.exitCode === null && child.signalCode === null) await attempt(() => child.kill('SIGKILL'));
    for (const server of this.servers) {
      await attempt(() => {
        if (server instanceof HttpServer) server.closeAllConnections();
        return new Promise((resolve) => server.close(resolve));
      });
    }
    // haproxy and keepalived were started by the agent in their own sessions; they are found
    // by the temporary directory in their command line. SIGTERM first so that keepalived
    // withdraws anything it configured, then SIGKILL.
    for (const dir of this.dirs) await attempt(() => stopDaemonsUnder(dir));
    for (const dir of this.dirs) await attempt(() => rmSync(dir, { recursive: true, force: true }));
    if (errors.length > 0) throw errors[0];
  }
}

export function pidsUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir) && identify(Number(entry))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function stopDaemonsUnder(dir: string): Promise<void> {
  const signal = (pids: number[], sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal(pidsUnder(dir), 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (pidsUnder(dir).length > 0 && Date.now() < deadline) await sleep(50);
  signal(pidsUnder(dir), 'SIGKILL');
  await until(`processes under ${dir} to exit`, 10_000, () => pidsUnder(dir).length === 0);
}

/** A backend that answers every request with its name. */
export async function startBackend(cleanup: Cleanup, name: string): Promise<number> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(name);
  });
  cleanup.servers.add(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** A port nobody listens on right now (bound then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ConfigOptions {
  baseDir: string;
  amphoraId: string;
  frontendPort: number;
  servers: { name: string; port: number; weight?: number; check?: boolean }[];
  /** Extra lines for the global section. */
  globalLines?: string[];
  /** Extra lines for the frontend section. */
  frontendLines?: string[];
  /** Extra sections appended at the end. */
  extra?: string;
}

/** The smallest haproxy.cfg that follows the agent's contract (src/agent/layout.ts). */
export function haproxyConfig(o: ConfigOptions): string {
  const layout = amphoraLayout(o.baseDir, o.amphoraId);
  return [
    'global',
    '  maxconn 1000',
    `  stats socket ${layout.statsSocket} mode 600 level admin expose-fd listeners`,
    `  server-state-file ${layout.serverState}`,
    '  hard-stop-after 30s',
    ...(o.globalLines ?? []).map((l) => `  ${l}`),
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  option idle-close-on-response',
    '  load-server-state-from-file global',
    'frontend fe',
    `  bind 127.0.0.1:${o.frontendPort}`,
    ...(o.frontendLines ?? []).map((l) => `  ${l}`),
    '  http-request return status 200 content-type text/plain string ok if { path /ok }',
    '  default_backend be',
    'backend be',
    '  balance roundrobin',
    ...o.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} weight ${s.weight ?? 5}${s.check ? ' check inter 500ms' : ''}`),
    o.extra ?? '',
    '',
  ].join('\n');
}

/** One GET on a fresh TCP connection (`agent: false`), the way the reload tests want it. */
export function httpGet(port: number, path: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The bodies of `n` sequential requests. */
export async function bodies(port: number, path: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await httpGet(port, path)).body);
  return out;
}

/**
 * Requests in a loop until stopped, bounded by count and by time so that a hang cannot make
 * the test run forever. Failed requests are recorded with their error.
 */
export function requestLoop(port: number, paths: string[], limits = { maxRequests: 200_000, maxMs: 300_000 }) {
  let stopped = false;
  const state = { ok: 0, failures: [] as string[] };
  const deadline = Date.now() + limits.maxMs;
  const done = (async () => {
    for (let i = 0; !stopped && i < limits.maxRequests && Date.now() < deadline; i++) {
      const path = paths[i % paths.length];
      try {
        const res = await httpGet(port, path);
        if (res.status === 200) state.ok++;
        else state.failures.push(`${path}: HTTP ${res.status} ${res.body.slice(0, 80)}`);
      } catch (err) {
        state.failures.push(`${path}: ${(err as Error).message}`);
      }
    }
  })();
  return {
    state,
    async stop() {
      stopped = true;
      await done;
      return state;
    },
  };
}

export function readTrack(baseDir: string, amphoraId: string): string | null {
  try {
    return readFileSync(amphoraLayout(baseDir, amphoraId).trackFile, 'utf8').trim();
  } catch {
    return null;
  }
}
