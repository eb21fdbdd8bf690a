// What /metrics costs.
//
// 1. Scrape time with BENCH_METRICS_LBS load balancers (default 500), each an HTTP listener, a
//    pool and BENCH_METRICS_MEMBERS members (default 2), on the embedded database and on
//    PostgreSQL. The load balancers are real rows made through the API (noop provider: no
//    amphorae, booting 500 would measure the compute driver); their data-plane figures are
//    written by the health manager's own code (addProxyFigures) from simulated heartbeats, as
//    if each had one amphora that served traffic and was reloaded once. Medians over
//    BENCH_METRICS_SCRAPES scrapes of GET /metrics, against GET /v2/lbaas/loadbalancers listing
//    the same load balancers (limit 1000) in the same run; plus the split between the database
//    reads and rendering the text.
// 2. HAProxy requests/s (wrk, keep-alive, c=50) while Fulcrum's collection runs against it and
//    while nothing does, taking turns run by run. Collection is what the agent does for each
//    heartbeat (`show info;show stat` on the stats socket), here ten times a second (ten times
//    the default heartbeat rate), plus a scrape of HAProxy's prometheus-exporter (a PROMETHEUS
//    listener) every second. HAProxy answers by itself (`http-request return`), so the figure is
//    HAProxy's own cost, not a backend's.
//
//   node --import tsx bench/metrics.ts
//   BENCH_METRICS_LBS=500 BENCH_METRICS_MEMBERS=2 BENCH_METRICS_SCRAPES=20 BENCH_METRICS_WRK_RUNS=5 BENCH_METRICS_WRK_SECONDS=5
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, intFromEnv, POSTGRES_ADMIN_URL, stats, SUBNET, table } from './lib.ts';
import { firstOk, freePort, haproxyCheck, hasCommand, loadNote, median, startHaproxy, tempDir } from './dataplane-lib.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { createApi, openRuntime, startWorker } from '../src/runtime.ts';
import { createLogger } from '../src/observability/logger.ts';
import { addProxyFigures } from '../src/health/proxy-figures-store.ts';
import { reportedFigures, type ReportedFigures } from '../src/health/heartbeat-figures.ts';
import { fleetRegistry } from '../src/observability/fleet-metrics.ts';
import { exposition } from '../src/observability/metrics.ts';
import { socketRequest } from '../src/agent/unix-socket.ts';
import type { Heartbeat, HeartbeatProxy } from '../src/agent/heartbeat-codec.ts';
import pg from 'pg';

const LBS = intFromEnv('BENCH_METRICS_LBS', 500);
const MEMBERS = intFromEnv('BENCH_METRICS_MEMBERS', 2);
const SCRAPES = intFromEnv('BENCH_METRICS_SCRAPES', 20);
const WRK_RUNS = intFromEnv('BENCH_METRICS_WRK_RUNS', 5);
const WRK_SECONDS = intFromEnv('BENCH_METRICS_WRK_SECONDS', 5);

// ---- 1. scrape time -------------------------------------------------------------------------

async function withDatabase<T>(kind: 'pglite' | 'postgres', fn: (url: string) => Promise<T>): Promise<T> {
  if (kind === 'pglite') return fn('pglite:memory://');
  const name = `fulcrum_bench_metrics_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  try {
    return await fn(POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`));
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** The heartbeat of one LB's amphora whose HAProxy worker `epoch` served `requests`. */
function heartbeat(amphoraId: string, epoch: string, tree: { listener: string; pool: string; members: string[] }, requests: number): Heartbeat {
  const backend = `${tree.pool}:${tree.listener}`;
  const http = (n: number) => ({ req_tot: n, stot: n, bin: 120 * n, bout: 250 * n, hrsp_2xx: n - Math.floor(n / 50), hrsp_5xx: Math.floor(n / 50) });
  const proxies: HeartbeatProxy[] = [
    { p: tree.listener, s: 'FRONTEND', st: 'OPEN', c: [120 * requests, 250 * requests, 3, requests, 0], m: { ...http(requests), scur: 3, ereq: 1 } },
    { p: backend, s: 'BACKEND', st: 'UP', m: { ...http(requests), scur: 3, econ: 1 } },
    ...tree.members.map((m) => ({ p: backend, s: m, st: 'UP', m: { ...http(Math.floor(requests / tree.members.length)), scur: 1, chkfail: 2 } })),
  ];
  return { amphora_id: amphoraId, seq: 1, ts: Date.now(), haproxy: { running: true, epoch }, proxies };
}

async function scrapeBench(kind: 'pglite' | 'postgres'): Promise<string[]> {
  return withDatabase(kind, async (url) => {
    const log = createLogger('silent');
    const config = loadConfig({}, { defaultProvider: 'noop', networkDriver: 'noop', computeDriver: 'noop', jobPollMs: 20, secretKey: 'f'.repeat(64), autoFailover: false });
    const database = await openDatabase(url, { migrate: true, log });
    const rt = await openRuntime(config, { migrate: false, database, log });
    const worker = startWorker(rt);
    await worker.start();
    const api = await createApi(rt);
    await api.ready();
    const headers = { 'x-project-id': 'bench', 'content-type': 'application/json' };
    try {
      const t0 = performance.now();
      for (let i = 0; i < LBS; i++) {
        const members = Array.from({ length: MEMBERS }, (_, m) => ({ address: `10.${Math.floor(i / 250)}.${i % 250}.${m + 10}`, protocol_port: 80 }));
        const body = { loadbalancer: { vip_subnet_id: SUBNET, listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'pool', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members } }] } };
        const res = await api.inject({ method: 'POST', url: '/v2/lbaas/loadbalancers', headers, payload: JSON.stringify(body) });
        if (res.statusCode !== 201) throw new Error(`LB create: ${res.statusCode} ${res.body}`);
      }
      const db = rt.database.db;
      const listeners = await db.selectFrom('listener').select(['id', 'load_balancer_id']).execute();
      const pools = await db.selectFrom('pool').select(['id', 'load_balancer_id']).execute();
      const members = await db.selectFrom('member').select(['id', 'pool_id']).execute();
      const poolOf = new Map(pools.map((p) => [p.load_balancer_id, p.id]));
      const membersOf = new Map<string, string[]>();
      for (const m of members) membersOf.set(m.pool_id, [...(membersOf.get(m.pool_id) ?? []), m.id]);
      // One amphora per LB; each reloaded once: an old worker's figures, then a new one's.
      for (const epoch of ['w1', 'w2']) {
        let batch: ReportedFigures[] = [];
        for (const l of listeners) {
          const pool = poolOf.get(l.load_balancer_id)!;
          const tree = { listener: l.id, pool, members: membersOf.get(pool) ?? [] };
          batch.push(...reportedFigures(heartbeat(l.load_balancer_id, epoch, tree, epoch === 'w1' ? 1000 : 400), l.load_balancer_id));
          if (batch.length >= 400) {
            await addProxyFigures(db, batch);
            batch = [];
          }
        }
        await addProxyFigures(db, batch);
      }
      const setupS = (performance.now() - t0) / 1000;

      const timeInject = async (path: string) => {
        const t = performance.now();
        const res = await api.inject({ method: 'GET', url: path, headers: { 'x-project-id': 'bench' } });
        if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode}`);
        return { ms: performance.now() - t, bytes: res.rawPayload.length, body: res.body };
      };
      const scrape: number[] = [];
      const list: number[] = [];
      const dbReads: number[] = [];
      const render: number[] = [];
      let bytes = 0;
      let series = 0;
      await timeInject('/metrics'); // warm-up
      await timeInject('/v2/lbaas/loadbalancers?limit=1000');
      for (let i = 0; i < SCRAPES; i++) {
        const s = await timeInject('/metrics');
        scrape.push(s.ms);
        bytes = s.bytes;
        series = s.body.split('\n').filter((line) => line && !line.startsWith('#')).length;
        list.push((await timeInject('/v2/lbaas/loadbalancers?limit=1000')).ms);
        const t1 = performance.now();
        const fleet = await fleetRegistry(db);
        const t2 = performance.now();
        await exposition([fleet]);
        dbReads.push(t2 - t1);
        render.push(performance.now() - t2);
      }
      const m = stats(scrape).median;
      const l = stats(list).median;
      return [
        `${kind}: ${LBS} LBs × (1 listener, 1 pool, ${MEMBERS} members), set up in ${fmt(setupS)} s; /metrics is ${series} series, ${fmt(bytes / 1024)} KiB`,
        table(
          ['', 'median ms', 'p90 ms', 'ratio to list'],
          [
            ['GET /metrics', fmt(m), fmt(stats(scrape).p90), fmt(m / l, 2)],
            ['  of which database reads + registry', fmt(stats(dbReads).median), fmt(stats(dbReads).p90), ''],
            ['  of which text rendering', fmt(stats(render).median), fmt(stats(render).p90), ''],
            ['GET /v2/lbaas/loadbalancers?limit=1000 (baseline)', fmt(l), fmt(stats(list).p90), '1.00'],
          ],
        ),
      ];
    } finally {
      await api.close();
      await worker.stop();
      await rt.closeDataPlane();
      await database.close();
    }
  });
}

// ---- 2. HAProxy throughput with and without collection -------------------------------------

function wrk(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const args = ['-t1', '-c50', `-d${WRK_SECONDS}s`, '--timeout', '2s', url];
    const proc = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const killer = setTimeout(() => proc.kill('SIGKILL'), (WRK_SECONDS + 15) * 1000);
    proc.once('error', reject);
    proc.once('exit', (code) => {
      clearTimeout(killer);
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      if (code !== 0 || !rps) return reject(new Error(`wrk failed (${code}):\n${out}`));
      resolve(Number(rps[1]));
    });
  });
}

/** Polls like the agent's heartbeats (every `everyMs`) and scrapes the exporter every second, until stopped. */
function collect(socket: string, exporterUrl: string, everyMs: number): { stop(): Promise<{ polls: number; scrapes: number }> } {
  let stopping = false;
  let polls = 0;
  let scrapes = 0;
  const deadline = Date.now() + (WRK_SECONDS + 30) * 1000;
  const poller = (async () => {
    while (!stopping && Date.now() < deadline) {
      await socketRequest(socket, 'show info;show stat', 2000);
      polls++;
      await sleep(everyMs);
    }
  })();
  const scraper = (async () => {
    while (!stopping && Date.now() < deadline) {
      await (await fetch(exporterUrl, { signal: AbortSignal.timeout(2000) })).text();
      scrapes++;
      await sleep(1000);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await Promise.all([poller, scraper]);
      return { polls, scrapes };
    },
  };
}

async function throughputBench(): Promise<string[]> {
  if (!hasCommand('wrk')) return ['HAProxy throughput: wrk is not installed (apt-get install -y wrk); skipped'];
  const scratch = tempDir('fulcrum-bench-metrics-');
  const port = await freePort();
  const exporterPort = await freePort();
  const socket = join(scratch.dir, 'stats.sock');
  const cfg = join(scratch.dir, 'haproxy.cfg');
  // A pool of 20 members (unused: the backend answers itself) makes `show stat` as long as a
  // typical amphora's.
  writeFileSync(
    cfg,
    [
      'global',
      '    maxconn 9000',
      `    stats socket ${socket} mode 600 level admin`,
      'defaults',
      '    mode http',
      '    timeout connect 5s',
      '    timeout client 50s',
      '    timeout server 50s',
      'frontend fe',
      `    bind 127.0.0.1:${port}`,
      '    default_backend be',
      'backend be',
      '    http-request return status 200 content-type text/plain string ok',
      ...Array.from({ length: 20 }, (_, i) => `    server m${i} 127.0.0.1:${9 + i} disabled`),
      'frontend prometheus',
      `    bind 127.0.0.1:${exporterPort}`,
      '    http-request use-service prometheus-exporter if { path /metrics }',
      '',
    ].join('\n'),
  );
  const check = haproxyCheck(cfg);
  if (!check.ok) throw new Error(`bench HAProxy config rejected:\n${check.output}`);
  const haproxy = startHaproxy(cfg);
  try {
    const url = `http://127.0.0.1:${port}/`;
    await firstOk(url, 10_000, 5);
    const without: number[] = [];
    const withCollection: number[] = [];
    let polls = 0;
    let scrapes = 0;
    for (let run = 0; run < WRK_RUNS; run++) {
      // Taking turns, first one then the other, so drift on the shared box hits both.
      for (const collecting of run % 2 === 0 ? [false, true] : [true, false]) {
        const collector = collecting ? collect(socket, `http://127.0.0.1:${exporterPort}/metrics`, 100) : null;
        const rps = await wrk(url);
        const done = await collector?.stop();
        polls += done?.polls ?? 0;
        scrapes += done?.scrapes ?? 0;
        (collecting ? withCollection : without).push(rps);
      }
    }
    const a = median(without);
    const b = median(withCollection);
    return [
      `HAProxy 2.6, wrk c=50 keep-alive, ${WRK_RUNS} runs × ${WRK_SECONDS} s each way (${polls} stat polls, ${scrapes} exporter scrapes while collecting)`,
      table(
        ['', 'median req/s', 'runs'],
        [
          ['no collection (baseline)', fmt(a, 0), without.map((x) => fmt(x, 0)).join(' ')],
          ['show stat ×10/s + exporter ×1/s', fmt(b, 0), withCollection.map((x) => fmt(x, 0)).join(' ')],
          ['ratio', fmt(b / a, 3), ''],
        ],
      ),
    ];
  } finally {
    await haproxy.stop();
    await scratch.remove();
  }
}

console.log(`-- start: ${loadNote()}`);
for (const kind of ['pglite', 'postgres'] as const) console.log(`\n== /metrics scrape\n${(await scrapeBench(kind)).join('\n')}`);
console.log(`\n== HAProxy throughput with and without metrics collection\n${(await throughputBench()).join('\n')}`);
console.log(`\n-- end: ${loadNote()}`);
