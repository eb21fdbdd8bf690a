// What an amphora agent's absence costs the HAProxy processes it leaves running, for each way
// HAProxy sends its log to the agent (FULCRUM_HAPROXY_LOG_TRANSPORT), in one run: `fulcrum serve`
// on the amphora provider (process compute driver) with N load balancers (one HTTP listener
// each, no traffic), then, per round, the agent is killed (SIGKILL, by PID) and serve's watchdog
// starts it again. Measured:
//   (a) CPU of each HAProxy worker from the kill until the new agent has loaded every amphora,
//       in % of one core (median over workers and rounds; the per-round sum over all workers too);
//   (b) kill → the new agent has loaded every amphora ("amphora loaded" in its log);
//   (c) orphaned: serve stopped (no watchdog), the agent killed, every worker's CPU over 2 s.
// Short by default; the scale target is 500 load balancers on one host.
//
//   node --import tsx bench/log-spin.ts
//   BENCH_LS_LBS=20 BENCH_LS_ROUNDS=3 BENCH_LS_TRANSPORTS=ring,pipe
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, intFromEnv, stats, table } from './lib.ts';
import { addListener, childPids, cpuMs, createLb, killPid, loadNote, pidAlive, readPid, startDataplaneServe, waitLbActive, type DataplaneServe } from './dataplane-lib.ts';

const LBS = intFromEnv('BENCH_LS_LBS', 20);
const ROUNDS = intFromEnv('BENCH_LS_ROUNDS', 3);
const TRANSPORTS = (process.env.BENCH_LS_TRANSPORTS ?? 'ring,pipe').split(',').map((t) => t.trim());
const ORPHAN_WINDOW_MS = 2000;
const READOPT_MAX_MS = 120_000;
const SETTLE_MS = 1000;

interface Figures {
  workerPct: number[];
  allWorkersPct: number[];
  readoptMs: number[];
  orphanPct: number[];
}

/** The HAProxy workers of every amphora (children of the masters in the pid files). */
function workerPids(serve: DataplaneServe): number[] {
  return serve.runDirs().flatMap((dir) => {
    const master = readPid(join(dir, 'haproxy.pid'));
    return master && pidAlive(master) ? childPids(master) : [];
  });
}

function cpuOf(pids: number[]): Map<number, number> {
  return new Map(pids.map((pid) => [pid, cpuMs(pid)]));
}

/** % of one core each worker used between two readings. */
function pctBetween(before: Map<number, number>, after: Map<number, number>, ms: number): number[] {
  return [...before].filter(([pid]) => Number.isFinite(after.get(pid))).map(([pid, t0]) => ((after.get(pid)! - t0) / ms) * 100);
}

/** "amphora loaded" lines the agent `pid` wrote to agent.log. */
function loadedBy(serve: DataplaneServe, pid: number): number {
  let text = '';
  try {
    text = readFileSync(join(serve.agentDir, 'agent.log'), 'utf8');
  } catch {
    return 0;
  }
  return text.split('\n').filter((l) => l.includes('"amphora loaded"') && l.includes(`"pid":${pid},`)).length;
}

async function readopted(serve: DataplaneServe, killed: number, amphorae: number): Promise<void> {
  const deadline = performance.now() + READOPT_MAX_MS;
  for (;;) {
    const pid = serve.agentPid();
    if (pid && pid !== killed && loadedBy(serve, pid) >= amphorae) return;
    if (performance.now() > deadline) throw new Error(`the agent did not load ${amphorae} amphorae within ${READOPT_MAX_MS} ms`);
    await sleep(10);
  }
}

async function measure(transport: string): Promise<Figures> {
  const serve = await startDataplaneServe(4, { FULCRUM_HAPROXY_LOG_TRANSPORT: transport });
  const figures: Figures = { workerPct: [], allWorkersPct: [], readoptMs: [], orphanPct: [] };
  try {
    for (let i = 0; i < LBS; i++) {
      const lb = await createLb(serve.client, serve.subnetId, `log-spin-${i}`);
      await waitLbActive(serve.client, lb.id, 120_000);
      await addListener(serve.client, lb.id, 8080);
    }
    const amphorae = serve.runDirs().length;
    await sleep(SETTLE_MS);
    for (let r = 0; r < ROUNDS; r++) {
      const agent = serve.agentPid()!;
      const workers = workerPids(serve);
      const before = cpuOf(workers);
      const t0 = performance.now();
      killPid(agent, 'SIGKILL');
      await readopted(serve, agent, amphorae);
      const ms = performance.now() - t0;
      const pct = pctBetween(before, cpuOf(workers), ms);
      figures.readoptMs.push(ms);
      figures.workerPct.push(...pct);
      figures.allWorkersPct.push(pct.reduce((a, b) => a + b, 0));
      await sleep(SETTLE_MS);
    }
    // Orphaned: no watchdog any more, then no agent.
    killPid(serve.servePid, 'SIGTERM');
    for (const deadline = performance.now() + 15_000; pidAlive(serve.servePid) && performance.now() < deadline; ) await sleep(20);
    const agent = serve.agentPid()!;
    killPid(agent, 'SIGKILL');
    for (const deadline = performance.now() + 5000; pidAlive(agent) && performance.now() < deadline; ) await sleep(10);
    const workers = workerPids(serve);
    const before = cpuOf(workers);
    await sleep(ORPHAN_WINDOW_MS);
    figures.orphanPct.push(...pctBetween(before, cpuOf(workers), ORPHAN_WINDOW_MS));
    return figures;
  } finally {
    await serve.stop();
  }
}

async function main(): Promise<void> {
  console.log(`log-spin: ${LBS} load balancers, ${ROUNDS} agent kills per transport; ${loadNote()}`);
  const rows: string[][] = [];
  const medians = new Map<string, Figures>();
  for (const transport of TRANSPORTS) {
    const f = await measure(transport);
    medians.set(transport, f);
    const row = (label: string, samples: number[]) => {
      const s = stats(samples);
      rows.push([transport, label, String(s.n), fmt(s.median), fmt(s.min), fmt(s.max)]);
    };
    row('(a) HAProxy worker CPU %, kill → re-adopted', f.workerPct);
    row('    all workers together, CPU % of one core', f.allWorkersPct);
    row('(b) kill → every amphora re-adopted, ms', f.readoptMs);
    row('(c) orphaned HAProxy worker CPU %, 2 s', f.orphanPct);
    console.log(table(['transport', 'figure', 'n', 'median', 'min', 'max'], rows.slice(-4)));
  }
  console.log(table(['transport', 'figure', 'n', 'median', 'min', 'max'], rows));
  const ring = medians.get('ring');
  const pipe = medians.get('pipe');
  if (ring && pipe) {
    const ratio = (a: number[], b: number[]) => fmt(stats(b).median / stats(a).median);
    console.log(`pipe/ring medians: (a) ${ratio(ring.workerPct, pipe.workerPct)}  (b) ${ratio(ring.readoptMs, pipe.readoptMs)}  (c) ${ratio(ring.orphanPct, pipe.orphanPct)}`);
  }
}

await main();
