// Shared parts of the benchmarks: real `fulcrum` processes on 127.0.0.1 (PGlite in a temp
// data dir, or a fresh PostgreSQL database), an undici client, bounded load loops, and
// statistics. Everything a run starts it also stops: its own child PIDs, temp dirs, databases.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Pool } from 'undici';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'fulcrum.js');
export const POSTGRES_ADMIN_URL = process.env.FULCRUM_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const SUBNET = '8b6c4c0e-1d2e-4f1a-9f0a-1b2c3d4e5f60';
export const HEADERS = { 'x-project-id': 'bench', accept: 'application/json' };

/** How each back end is run: `serve` on PGlite, and PostgreSQL with separate api and worker processes (production) or in one `serve`. */
export type SetupKind = 'pglite' | 'postgres' | 'postgres-serve';
export const SETUP_LABEL: Record<SetupKind, string> = {
  pglite: 'PGlite (serve)',
  postgres: 'PostgreSQL (api + worker)',
  'postgres-serve': 'PostgreSQL (serve)',
};

export function setupsFromEnv(fallback: SetupKind[]): SetupKind[] {
  const raw = process.env.BENCH_SETUPS;
  if (!raw) return fallback;
  const kinds = raw.split(',').map((s) => s.trim()) as SetupKind[];
  for (const k of kinds) if (!(k in SETUP_LABEL)) throw new Error(`BENCH_SETUPS: unknown setup ${k} (use ${Object.keys(SETUP_LABEL).join(', ')})`);
  return kinds;
}

export function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Cleanup: also on Ctrl-C, so an interrupted run leaves no server, directory or database behind.

const cleanups = new Set<() => Promise<void>>();

async function runCleanups(): Promise<void> {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    await fn().catch((err: unknown) => console.error(`cleanup failed: ${String(err)}`));
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void runCleanups().finally(() => process.exit(130));
  });
}

function onCleanup(fn: () => Promise<void>): () => Promise<void> {
  cleanups.add(fn);
  return async () => {
    if (!cleanups.delete(fn)) return;
    await fn();
  };
}

// ---------------------------------------------------------------------------------------------
// Processes

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface Child {
  label: string;
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startChild(label: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Only the tail is kept: enough to explain a failure to start.
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-8000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { label, proc, output: () => tail, exited };
}

async function stopChild(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const code = await Promise.race([child.exited, sleep(10_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    console.error(`${child.label} (pid ${child.proc.pid}) did not stop in 10 s; killing it`);
    child.proc.kill('SIGKILL');
    await child.exited;
  }
}

/** Runs a one-shot `fulcrum` command (migrate) to completion. */
async function runOnce(label: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const child = startChild(label, args, env);
  const stop = onCleanup(() => stopChild(child));
  const code = await Promise.race([child.exited, sleep(60_000).then(() => 'timeout' as const)]);
  await stop();
  if (code !== 0) throw new Error(`${label} failed (${String(code)}):\n${child.output()}`);
}

function fulcrumEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // The bench decides every setting; a FULCRUM_* from the caller's shell must not leak in.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FULCRUM_')) env[k] = v;
  // The API benchmarks measure the control plane alone: the noop provider and network.
  return { ...env, FULCRUM_LOG_LEVEL: 'warn', FULCRUM_DEFAULT_PROVIDER: 'noop', FULCRUM_NETWORK_DRIVER: 'noop', ...extra };
}

async function createDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `fulcrum_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const drop = onCleanup(async () => {
    const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await c.connect();
    try {
      await c.query(`drop database if exists ${name} with (force)`);
    } finally {
      await c.end();
    }
  });
  return { url: POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`), drop };
}

export interface Setup {
  kind: SetupKind;
  label: string;
  origin: string;
  pids: number[];
  client: Client;
  stop(): Promise<void>;
}

/** Starts the processes of one setup and waits until the API answers. */
export async function startSetup(kind: SetupKind, connections: number, options: { env?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Setup> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-bench-'));
  const removeDir = onCleanup(async () => rmSync(dataDir, { recursive: true, force: true }));
  const children: Child[] = [];
  const stops: (() => Promise<void>)[] = [];
  let drop: (() => Promise<void>) | null = null;
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
    if (drop) await drop();
    await removeDir();
  };
  try {
    const port = await freePort();
    const base = { ...options.env, FULCRUM_DATA_DIR: dataDir, FULCRUM_API_BIND: `127.0.0.1:${port}` };
    const launch = (label: string, role: string, env: NodeJS.ProcessEnv) => {
      const child = startChild(label, [role], env);
      children.push(child);
      stops.push(onCleanup(() => stopChild(child)));
    };
    if (kind === 'pglite') {
      launch('fulcrum serve', 'serve', fulcrumEnv(base));
    } else {
      const db = await createDatabase();
      drop = db.drop;
      const env = fulcrumEnv({ ...base, FULCRUM_DATABASE_URL: db.url });
      if (kind === 'postgres-serve') {
        launch('fulcrum serve', 'serve', env);
      } else {
        await runOnce('fulcrum migrate', ['migrate'], env);
        launch('fulcrum worker', 'worker', env);
        launch('fulcrum api', 'api', env);
      }
    }
    const origin = `http://127.0.0.1:${port}`;
    await waitReady(origin, children);
    const client = new Client(origin, connections, options.headers);
    stops.unshift(() => client.close());
    return {
      kind,
      label: SETUP_LABEL[kind],
      origin,
      pids: children.map((c) => c.proc.pid!),
      client,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function waitReady(origin: string, children: Child[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  const probe = new Pool(origin, { connections: 1 });
  try {
    for (;;) {
      for (const c of children) {
        if (c.proc.exitCode !== null) throw new Error(`${c.label} exited with ${c.proc.exitCode}:\n${c.output()}`);
      }
      try {
        const res = await probe.request({ path: '/', method: 'GET', headers: HEADERS });
        await res.body.text();
        if (res.statusCode === 200) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`API at ${origin} not ready after 60 s:\n${children.map((c) => c.output()).join('\n')}`);
      await sleep(50);
    }
  } finally {
    await probe.close();
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

export class Client {
  readonly #pool: Pool;
  readonly #headers: Record<string, string>;
  constructor(origin: string, connections: number, headers: Record<string, string> = HEADERS) {
    this.#pool = new Pool(origin, { connections, pipelining: 1 });
    this.#headers = headers;
  }

  async call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await this.#pool.request({
      path,
      method,
      headers: body === undefined ? this.#headers : { ...this.#headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text.length ? JSON.parse(text) : null };
  }

  /** Like call, but anything other than `expected` is an error. */
  async expect(expected: number, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<any> {
    const res = await this.call(method, path, body);
    if (res.status !== expected) throw new Error(`${method} ${path}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

export async function createLoadBalancer(client: Client, name: string): Promise<string> {
  const body = await client.expect(201, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name, vip_subnet_id: SUBNET } });
  return body.loadbalancer.id as string;
}

/** Polls until no load balancer of the project is in a PENDING_* status (bounded). */
export async function settle(client: Client, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let pending = 0;
    for (const status of ['PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE']) {
      const body = await client.expect(200, 'GET', `/v2/lbaas/loadbalancers?provisioning_status=${status}&fields=id&limit=1`);
      pending += body.loadbalancers.length;
    }
    if (pending === 0) return;
    if (Date.now() > deadline) throw new Error(`load balancers still pending after ${timeoutMs} ms`);
    await sleep(20);
  }
}

// ---------------------------------------------------------------------------------------------
// Load and statistics

export interface LoadResult {
  count: number;
  elapsedMs: number;
  rps: number;
  latency: Stats;
}

/**
 * `concurrency` clients call `op(i)` back to back until `maxRequests` have started or
 * `maxMs` has passed; each call's latency is recorded.
 */
export async function load(opts: { concurrency: number; maxRequests: number; maxMs: number; op: (i: number) => Promise<void> }): Promise<LoadResult> {
  const latencies: number[] = [];
  let started = 0;
  const t0 = performance.now();
  const deadline = t0 + opts.maxMs;
  const clientLoop = async () => {
    while (started < opts.maxRequests && performance.now() < deadline) {
      const i = started++;
      const s = performance.now();
      await opts.op(i);
      latencies.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, clientLoop));
  const elapsedMs = performance.now() - t0;
  return { count: latencies.length, elapsedMs, rps: (latencies.length * 1000) / elapsedMs, latency: stats(latencies) };
}

export interface Stats {
  n: number;
  median: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, median: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), min: s[0] ?? NaN, max: s.at(-1) ?? NaN };
}

export function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

/** A plain-text table with right-aligned numeric columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
