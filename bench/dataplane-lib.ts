// Shared parts of the data-plane benchmarks: `fulcrum serve` on the amphora provider (process
// compute driver, local network, PGlite in a temp dir), backends (nginx-light when installed,
// else Node HTTP servers) and a hand-run HAProxy, all on 127.0.0.0/8. Every process a run
// starts it stops by PID — serve, the detached amphora agent and its HAProxy masters (by their
// pid files), nginx, haproxy — and every temp dir it makes it removes, also on Ctrl-C.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { randomInt } from 'node:crypto';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from './lib.ts';
import { pidRunning, readProcStat } from '../src/agent/process-table.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'fulcrum.js');

// ---------------------------------------------------------------------------------------------
// Cleanup. Each entry can run synchronously (signals) or gracefully (normal end of a run).

export interface Cleanup {
  sync(): void;
  graceful(): Promise<void>;
}
const cleanups = new Set<Cleanup>();

export function register(c: Cleanup): () => Promise<void> {
  cleanups.add(c);
  return async () => {
    if (!cleanups.delete(c)) return;
    await c.graceful();
  };
}

function runSyncCleanups(): void {
  for (const c of [...cleanups].reverse()) {
    cleanups.delete(c);
    try {
      c.sync();
    } catch (err) {
      console.error(`cleanup failed: ${String(err)}`);
    }
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    runSyncCleanups();
    process.exit(130);
  });
}
// Last resort (an uncaught error, process.exit): nothing a run started may outlive it.
process.on('exit', runSyncCleanups);
// Output piped into `head` must not crash the run before its cleanup.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

export function tempDir(prefix: string): { dir: string; remove: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const rm = () => rmSync(dir, { recursive: true, force: true });
  return { dir, remove: register({ sync: rm, graceful: async () => rm() }) };
}

export function killPid(pid: number, signal: NodeJS.Signals = 'SIGTERM'): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Alive and not a zombie (PID 1 here reaps orphans only every ~2 s). */
export function pidAlive(pid: number): boolean {
  return pidRunning(pid);
}

export function readPid(file: string): number | null {
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 1 ? pid : null;
}

async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let alive = pids.filter(pidAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(20);
    alive = alive.filter(pidAlive);
  }
  return alive;
}

/** SIGTERM, then SIGKILL what is still there after `ms`. */
async function terminate(pids: number[], ms = 5000): Promise<void> {
  for (const pid of pids) killPid(pid, 'SIGTERM');
  for (const pid of await waitGone(pids, ms)) killPid(pid, 'SIGKILL');
}

export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Direct children of a process (Linux /proc). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** utime + stime of a process in ms (clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const stat = readProcStat(pid);
  return stat ? (stat.utime + stat.stime) * 10 : NaN;
}

/**
 * The scheduler's own count of a process's time on a CPU, in ms: the sum over its threads of
 * the first field of `schedstat` (nanoseconds). utime and stime are sampled at each clock tick,
 * which charges a whole tick to whoever runs at that instant: a process that wakes briefly once
 * a second in step with the tick (an idle HAProxy's timers) is charged many times its real time.
 */
export function runtimeMs(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1e6;
  } catch {
    return NaN;
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes started here (serve, nginx, haproxy): kept by PID, output tail kept.

export interface Proc {
  label: string;
  proc: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** SIGKILL a process and its direct children (nginx workers outlive a killed master). */
function killTree(pid: number): void {
  const children = childPids(pid);
  killPid(pid, 'SIGKILL');
  for (const child of children) killPid(child, 'SIGKILL');
}

/**
 * `detached`: in a session of its own, as the amphora agent starts HAProxy. That matters for
 * comparisons: with the kernel's autogroup scheduling (on here) every session is its own
 * CPU-share group, so a process in the bench's session shares its CPU slice with wrk.
 */
export function startProc(label: string, file: string, args: string[], options: { env?: NodeJS.ProcessEnv; detached?: boolean; fd3?: number } = {}): Proc {
  const stdio = ['ignore', 'pipe', 'pipe', ...(options.fd3 === undefined ? [] : [options.fd3])] as ('ignore' | 'pipe' | number)[];
  const proc = spawn(file, args, { cwd: ROOT, env: options.env ?? process.env, detached: options.detached ?? false, stdio });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-8000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  proc.once('error', (err) => {
    tail += `\nspawn ${file}: ${err.message}`;
  });
  const pid = proc.pid ?? -1;
  const done = () => proc.exitCode !== null || proc.signalCode !== null;
  const stop = register({
    sync: () => void (done() || killTree(pid)),
    graceful: async () => {
      if (done() || pid < 0) return;
      killPid(pid, 'SIGTERM');
      const r = await Promise.race([exited, sleep(10_000).then(() => 'timeout' as const)]);
      if (r === 'timeout') {
        console.error(`${label} (pid ${pid}) did not stop in 10 s; killing it`);
        killPid(pid, 'SIGKILL');
        await exited;
      }
    },
  });
  return { label, proc, pid, output: () => tail, exited, stop };
}

// ---------------------------------------------------------------------------------------------
// Fulcrum with the amphora provider

export interface DataplaneServe {
  origin: string;
  dataDir: string;
  agentDir: string;
  servePid: number;
  client: Client;
  /** A subnet of this run's own (a random 127.x.y.0/24), for the VIPs. */
  subnetId: string;
  agentPid(): number | null;
  /** The amphorae's run directories (`<dataDir>/agent/run/<amphora id>`). */
  runDirs(): string[];
  stop(): Promise<void>;
}

export function serveEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // The bench decides every setting; a FULCRUM_* from the caller's shell must not leak in.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FULCRUM_')) env[k] = v;
  return {
    ...env,
    FULCRUM_LOG_LEVEL: 'warn',
    FULCRUM_DEFAULT_PROVIDER: 'amphora',
    FULCRUM_NETWORK_DRIVER: 'local',
    FULCRUM_COMPUTE_DRIVER: 'process',
    // The agent logs every request with its time (the breakdown reads them from agent.log).
    FULCRUM_AGENT_LOG_LEVEL: 'info',
    ...extra,
  };
}

/** The HAProxy / keepalived masters the agent under `agentDir` runs, from their pid files. */
function dataPlanePids(agentDir: string): number[] {
  const pids: number[] = [];
  const runDir = join(agentDir, 'run');
  if (existsSync(runDir)) {
    for (const amphora of readdirSync(runDir)) {
      for (const f of ['haproxy.pid', 'keepalived.pid']) {
        const pid = readPid(join(runDir, amphora, f));
        if (pid) pids.push(pid);
      }
    }
  }
  return pids;
}

export async function startDataplaneServe(connections = 4, env: Record<string, string> = {}): Promise<DataplaneServe> {
  const { dir: dataDir, remove } = tempDir('fulcrum-bench-dp-');
  const agentDir = join(dataDir, 'agent');
  const agentPid = () => readPid(join(agentDir, 'agent.pid'));
  // The agent and its HAProxy processes are detached from serve: stopped by their pid files.
  // The agent first: it restarts a HAProxy that dies while it runs, and that one would outlive
  // the bench (and spin on the agent's log socket, gone with the data dir).
  const stopDataPlane = register({
    sync: () => {
      const a = agentPid();
      if (a) killPid(a, 'SIGKILL');
      for (const pid of dataPlanePids(agentDir)) killTree(pid);
    },
    graceful: async () => {
      const a = agentPid();
      if (a) await terminate([a]);
      await terminate(dataPlanePids(agentDir));
    },
  });
  const port = await freePort();
  const agentPort = await freePort();
  const serve = startProc(
    'fulcrum serve',
    process.execPath,
    // BENCH_SERVE_NODE_ARGS: node options for serve alone, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
    [...(process.env.BENCH_SERVE_NODE_ARGS ?? '').split(' ').filter(Boolean), CLI, 'serve'],
    { env: serveEnv({ ...env, FULCRUM_DATA_DIR: dataDir, FULCRUM_API_BIND: `127.0.0.1:${port}`, FULCRUM_LOCAL_AGENT_PORT: String(agentPort) }) },
  );
  const origin = `http://127.0.0.1:${port}`;
  const client = new Client(origin, connections);
  const stop = async () => {
    await client.close();
    await serve.stop();
    await stopDataPlane();
    await remove();
  };
  try {
    await waitApi(origin, serve);
    // Not the default `local` subnet: it starts every Fulcrum's VIPs at 127.10.0.1, and HAProxy
    // binds with SO_REUSEPORT, so a second Fulcrum on this host (a test, a developer's serve)
    // would silently share VIP:port with ours and take part of the connections. A subnet of
    // our own avoids that (and assertVipFree checks before each listener).
    const network = await client.expect(201, 'POST', '/v2/fulcrum/networks', { network: { name: 'bench-dataplane' } });
    const cidr = `127.${randomInt(201, 251)}.${randomInt(0, 256)}.0/24`;
    const subnet = await client.expect(201, 'POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.network.id, cidr } });
    return {
      origin,
      dataDir,
      agentDir,
      servePid: serve.pid,
      client,
      subnetId: subnet.subnet.id,
      agentPid,
      runDirs: () => (existsSync(join(agentDir, 'run')) ? readdirSync(join(agentDir, 'run')).map((d) => join(agentDir, 'run', d)) : []),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function waitApi(origin: string, serve: Proc): Promise<void> {
  // A loaded host starts serve (and its agent) slowly: BENCH_API_WAIT_S allows for it.
  const waitS = Number(process.env.BENCH_API_WAIT_S ?? 60);
  const deadline = Date.now() + waitS * 1000;
  for (;;) {
    if (serve.proc.exitCode !== null) throw new Error(`fulcrum serve exited with ${serve.proc.exitCode}:\n${serve.output()}`);
    try {
      const res = await fetch(`${origin}/`, { signal: AbortSignal.timeout(1000) });
      await res.text();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`API at ${origin} not ready after ${waitS} s:\n${serve.output()}`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// The load balancer tree, each step waiting for ACTIVE as a client would.

const POLL_MS = Number(process.env.BENCH_DP_POLL_MS ?? 10);

/** Polls the LB until ACTIVE (throws on ERROR or after `timeoutMs`); resolves at the poll that saw it. */
export async function waitLbActive(client: Client, lbId: string, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const body = await client.expect(200, 'GET', `/v2/lbaas/loadbalancers/${lbId}?fields=provisioning_status`);
    const status = body.loadbalancer.provisioning_status as string;
    if (status === 'ACTIVE') return;
    if (status === 'ERROR') {
      const jobs = await client.call('GET', `/v2/fulcrum/jobs?load_balancer_id=${lbId}`);
      throw new Error(`load balancer ${lbId} went ERROR: ${JSON.stringify(jobs.body?.jobs?.map((j: { last_error: string }) => j.last_error))}`);
    }
    if (performance.now() > deadline) throw new Error(`load balancer ${lbId} not ACTIVE after ${timeoutMs} ms (${status})`);
    await sleep(POLL_MS);
  }
}

export interface Tree {
  lbId: string;
  vip: string;
  listenerId: string;
  poolId: string;
  memberIds: string[];
  url: string;
}

export async function createLb(client: Client, subnetId: string, name: string): Promise<{ id: string; vip: string }> {
  const body = await client.expect(201, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name, vip_subnet_id: subnetId } });
  return { id: body.loadbalancer.id, vip: body.loadbalancer.vip_address };
}

/** True when something accepts TCP connections on host:port. */
export function listening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port, timeout: timeoutMs });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Throws when another process already serves VIP:port (SO_REUSEPORT would let both bind). */
export async function assertVipFree(vip: string, port: number): Promise<void> {
  if (await listening(vip, port)) throw new Error(`${vip}:${port} is already served by another process (another Fulcrum on this host?)`);
}

export async function addListener(client: Client, lbId: string, port: number): Promise<string> {
  const body = await client.expect(201, 'POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: port } });
  await waitLbActive(client, lbId);
  return body.listener.id;
}

export async function addPool(client: Client, lbId: string, listenerId: string): Promise<string> {
  const body = await client.expect(201, 'POST', '/v2/lbaas/pools', { pool: { listener_id: listenerId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
  await waitLbActive(client, lbId);
  return body.pool.id;
}

export async function addMember(client: Client, lbId: string, poolId: string, port: number, wait = true): Promise<string> {
  const body = await client.expect(201, 'POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: '127.0.0.1', protocol_port: port } });
  if (wait) await waitLbActive(client, lbId);
  return body.member.id;
}

/** LB, HTTP listener, round-robin pool and one member per backend port, each waited for. */
export async function createTree(client: Client, subnetId: string, name: string, listenerPort: number, backendPorts: number[]): Promise<Tree> {
  const lb = await createLb(client, subnetId, name);
  await waitLbActive(client, lb.id);
  await assertVipFree(lb.vip, listenerPort);
  const listenerId = await addListener(client, lb.id, listenerPort);
  const poolId = await addPool(client, lb.id, listenerId);
  const memberIds: string[] = [];
  for (const port of backendPorts) memberIds.push(await addMember(client, lb.id, poolId, port));
  return { lbId: lb.id, vip: lb.vip, listenerId, poolId, memberIds, url: `http://${lb.vip}:${listenerPort}/` };
}

export async function deleteLb(client: Client, lbId: string, timeoutMs = 30_000): Promise<void> {
  await client.expect(204, 'DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const res = await client.call('GET', `/v2/lbaas/loadbalancers/${lbId}?fields=provisioning_status`);
    if (res.status === 404 || res.body?.loadbalancer?.provisioning_status === 'DELETED') return;
    if (res.body?.loadbalancer?.provisioning_status === 'ERROR') throw new Error(`load balancer ${lbId} went ERROR while deleting`);
    if (performance.now() > deadline) throw new Error(`load balancer ${lbId} not deleted after ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

/** The run directory of the LB's amphora: the one whose haproxy.cfg names the LB. */
export function amphoraRunDir(serve: DataplaneServe, lbId: string): string {
  for (const dir of serve.runDirs()) {
    const cfg = join(dir, 'haproxy.cfg');
    if (existsSync(cfg) && readFileSync(cfg, 'utf8').includes(lbId)) return dir;
  }
  throw new Error(`no amphora run directory for load balancer ${lbId}`);
}

// ---------------------------------------------------------------------------------------------
// One HTTP request on a new connection, answering the body (the backend's name).

export interface Probe {
  /** Wall-clock ms (performance.timeOrigin based) when the request was sent / answered. */
  sent: number;
  done: number;
  status: number;
  body: string;
  error: string | null;
}

/** Wall-clock milliseconds with sub-ms resolution. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export function probeOnce(url: string, timeoutMs = 1000): Promise<Probe> {
  const sent = wallNow();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (status: number, body: string, error: string | null) => {
      if (settled) return;
      settled = true;
      resolve({ sent, done: wallNow(), status, body, error });
    };
    const req = httpRequest(url, { agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => finish(res.statusCode ?? 0, body.trim(), null));
      res.on('error', (err) => finish(res.statusCode ?? 0, body, `response: ${err.message}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => finish(0, '', err.code ?? err.message));
    req.end();
  });
}

/** Retries (new connection each, every `everyMs`) until a 200; the time it came. */
export async function firstOk(url: string, timeoutMs = 10_000, everyMs = 2): Promise<Probe> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const p = await probeOnce(url, 1000);
    if (p.status === 200) return p;
    if (performance.now() > deadline) throw new Error(`${url}: no 200 within ${timeoutMs} ms (last: ${p.status} ${p.error ?? p.body})`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Backends: every backend answers 200 with its own name ("be1"…), on 127.0.0.1.

export interface Backends {
  kind: 'nginx' | 'node';
  ports: number[];
  names: string[];
  /** Worker processes (nginx) or this process (node), for CPU accounting. */
  pids(): number[];
  stop(): Promise<void>;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function nginxPath(): string | null {
  for (const p of ['/usr/sbin/nginx', '/usr/bin/nginx']) if (existsSync(p)) return p;
  return hasCommand('nginx') ? 'nginx' : null;
}

/**
 * nginx-light with one worker serving every port (as in docs/dataplane.md §2: `return 200 "beN"`), in a
 * session of its own like HAProxy; without nginx, Node HTTP servers in this process.
 */
export async function startBackends(count: number, prefer: 'nginx' | 'node' = 'nginx'): Promise<Backends> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  const names = ports.map((_, i) => `be${i + 1}`);
  const nginx = prefer === 'nginx' ? nginxPath() : null;
  if (nginx) {
    const { dir, remove } = tempDir('fulcrum-bench-nginx-');
    const servers = ports
      .map((port, i) => `  server { listen 127.0.0.1:${port} reuseport backlog=4096; keepalive_requests 1000000; location / { return 200 "${names[i]}\\n"; } }`)
      .join('\n');
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        'worker_processes 1;',
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log warn;`,
        'events { worker_connections 4096; }',
        'http {',
        '  access_log off;',
        `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
        '  default_type text/plain;',
        servers,
        '}',
        '',
      ].join('\n'),
    );
    const proc = startProc('nginx', nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off; master_process on;'], { detached: true });
    try {
      for (let i = 0; i < ports.length; i++) await firstOk(`http://127.0.0.1:${ports[i]}/`, 10_000, 10);
    } catch (err) {
      await proc.stop();
      await remove();
      throw new Error(`nginx did not serve: ${String(err)}\n${proc.output()}`);
    }
    return {
      kind: 'nginx',
      ports,
      names,
      pids: () => childPids(proc.pid),
      stop: async () => {
        await proc.stop();
        await remove();
      },
    };
  }
  const servers: Server[] = [];
  for (let i = 0; i < count; i++) {
    const name = names[i];
    const srv = createHttpServer((_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`${name}\n`);
    });
    srv.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => srv.listen(ports[i], '127.0.0.1', resolve));
    servers.push(srv);
  }
  const close = async () => {
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.closeAllConnections();
            s.close(() => resolve());
          }),
      ),
    );
  };
  const closeNow = () => {
    for (const s of servers) s.close();
  };
  const unregister = register({ sync: closeNow, graceful: close });
  return { kind: 'node', ports, names, pids: () => [process.pid], stop: unregister };
}

// ---------------------------------------------------------------------------------------------
// HAProxy run by the bench: a trivial one (boot baseline) and a hand-tuned one (throughput).

export interface OwnHaproxy {
  proc: Proc;
  workerPids(): number[];
  stop(): Promise<void>;
}

/** `haproxy -Ws -f cfg`, our child in a session of its own: master-worker, as the agent runs it. */
/** `logPipe`: a named pipe HAProxy inherits as descriptor 3, as the agent passes it (`log fd@3`). */
export function startHaproxy(cfgPath: string, logPipe?: string): OwnHaproxy {
  const fd3 = logPipe === undefined ? undefined : openSync(logPipe, constants.O_RDWR | constants.O_NONBLOCK);
  try {
    const proc = startProc('haproxy', 'haproxy', ['-Ws', '-f', cfgPath], { detached: true, fd3 });
    return { proc, workerPids: () => childPids(proc.pid), stop: () => proc.stop() };
  } finally {
    if (fd3 !== undefined) closeSync(fd3);
  }
}

export function haproxyCheck(cfgPath: string): { ok: boolean; ms: number; output: string } {
  const t0 = performance.now();
  const r = spawnSync('haproxy', ['-c', '-q', '-f', cfgPath], { encoding: 'utf8' });
  return { ok: r.status === 0, ms: performance.now() - t0, output: `${r.stdout}${r.stderr}` };
}

// ---------------------------------------------------------------------------------------------
// Small things

/** The box is shared: say how busy it was, so numbers from different runs can be weighed. */
export function loadNote(): string {
  const [one, five] = loadavg();
  return `load average ${one.toFixed(1)} (1 min), ${five.toFixed(1)} (5 min) on ${availableParallelism()} CPUs`;
}

/** Octavia-style times are naive UTC with milliseconds. */
export function dbTime(value: string | null): number {
  return value ? Date.parse(`${value}Z`) : NaN;
}

export function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = (s.length - 1) / 2;
  return (s[Math.floor(m)] + s[Math.ceil(m)]) / 2;
}

// ---------------------------------------------------------------------------------------------
// What the control plane recorded: jobs (database clock) and agent requests (agent.log).

export interface JobTimes {
  id: number;
  state: string;
  target: string;
  action: string;
  created: number;
  finished: number;
}

/** The load balancer's jobs, oldest first. */
export async function lbJobs(client: Client, lbId: string): Promise<JobTimes[]> {
  const body = await client.expect(200, 'GET', `/v2/fulcrum/jobs?load_balancer_id=${lbId}&limit=1000`);
  return (body.jobs as { id: string; state: string; operation: { target?: { type: string }; action?: string }; created_at: string; finished_at: string | null }[])
    .map((j) => ({
      id: Number(j.id),
      state: j.state,
      target: j.operation?.target?.type ?? '?',
      action: j.operation?.action ?? '?',
      created: dbTime(j.created_at),
      finished: dbTime(j.finished_at),
    }))
    .sort((a, b) => a.id - b.id);
}

export interface AgentRequest {
  method: string;
  url: string;
  /** Wall-clock ms the agent logged the request arriving / completing (ms resolution). */
  received: number;
  completed: number;
  responseTime: number;
  status: number;
}

/** Every request the agent logged (Fastify's "incoming request" / "request completed" pairs). */
export function agentRequests(agentDir: string): AgentRequest[] {
  const file = join(agentDir, 'agent.log');
  if (!existsSync(file)) return [];
  const open = new Map<string, { method: string; url: string; received: number }>();
  const done: AgentRequest[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    let rec: { time?: number; reqId?: string; req?: { method: string; url: string }; res?: { statusCode: number }; responseTime?: number; msg?: string };
    try {
      rec = JSON.parse(line);
    } catch {
      continue;
    }
    if (!rec.reqId || rec.time === undefined) continue;
    if (rec.msg === 'incoming request' && rec.req) open.set(rec.reqId, { method: rec.req.method, url: rec.req.url, received: rec.time });
    else if (rec.msg === 'request completed') {
      const r = open.get(rec.reqId);
      if (!r) continue;
      open.delete(rec.reqId);
      done.push({ ...r, completed: rec.time, responseTime: rec.responseTime ?? NaN, status: rec.res?.statusCode ?? 0 });
    }
  }
  return done;
}

/** The first agent request for `path` that arrived at or after `since` (1 ms slack: log times are whole ms). */
export function firstAgentRequest(requests: AgentRequest[], method: string, path: string, since: number): AgentRequest | null {
  return requests.find((r) => r.method === method && r.url === path && r.received >= Math.floor(since) - 1) ?? null;
}

/** The smallest HAProxy configuration the benchmarks compare against: one HTTP frontend on `port`. */
export function minimalHaproxyConfig(port: number, frontend: string[], rest: string[] = []): string {
  return [
    'global',
    '    maxconn 9000',
    'defaults',
    '    mode http',
    '    timeout connect 5s',
    '    timeout client 50s',
    '    timeout server 50s',
    'frontend fe',
    `    bind 127.0.0.1:${port}`,
    ...frontend.map((l) => `    ${l}`),
    ...rest,
    '',
  ].join('\n');
}
