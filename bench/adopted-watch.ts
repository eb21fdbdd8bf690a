// What watching adopted daemons costs the agent (daemons a previous agent started, which are not
// its children, so no exit event reaches it). Before: one 50 ms timer per daemon, each reading
// /proc/<pid>/stat. Now: one shared 100 ms timer for all of them, kill(pid, 0) on most passes and
// /proc once a second (src/agent/process-watch.ts). Both watch the same N live processes (`sleep`
// children of this run) for the same time, in this process; the figure is this process's CPU
// time per second of watching, and the ratio.
//
//   node --import tsx bench/adopted-watch.ts
//   BENCH_AW_DAEMONS=500 BENCH_AW_SECONDS=5 BENCH_AW_RUNS=3
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, intFromEnv, table } from './lib.ts';
import { identify, isAlive, type ProcessIdentity } from '../src/agent/process-table.ts';
import { ProcessWatch } from '../src/agent/process-watch.ts';

const DAEMONS = intFromEnv('BENCH_AW_DAEMONS', 500);
const SECONDS = intFromEnv('BENCH_AW_SECONDS', 5);
const RUNS = intFromEnv('BENCH_AW_RUNS', 3);

function cpuMsPerSecond(watchFor: () => () => void): Promise<number> {
  return (async () => {
    const stop = watchFor();
    const before = process.cpuUsage();
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const used = process.cpuUsage(before);
    const elapsed = (performance.now() - t0) / 1000;
    stop();
    return (used.user + used.system) / 1000 / elapsed;
  })();
}

function perDaemonTimers(ids: ProcessIdentity[]): () => void {
  const timers = ids.map((id) => setInterval(() => void isAlive(id), 50));
  return () => timers.forEach(clearInterval);
}

function sharedWatch(ids: ProcessIdentity[]): () => void {
  const watch = new ProcessWatch();
  const unwatch = ids.map((id) => watch.watch(id, () => {}));
  // The shared timer is unref'd in the agent; here the sleep keeps the process up.
  return () => {
    for (const u of unwatch) u();
  };
}

const children: ChildProcess[] = [];
try {
  for (let i = 0; i < DAEMONS; i++) children.push(spawn('sleep', ['3600'], { stdio: 'ignore' }));
  await sleep(500);
  const ids = children.map((c) => identify(c.pid!)).filter((id): id is ProcessIdentity => id !== null);
  if (ids.length !== DAEMONS) throw new Error(`only ${ids.length} of ${DAEMONS} watched processes started`);
  const rows: string[][] = [];
  const old: number[] = [];
  const shared: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    old.push(await cpuMsPerSecond(() => perDaemonTimers(ids)));
    shared.push(await cpuMsPerSecond(() => sharedWatch(ids)));
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  rows.push(['one 50 ms timer per daemon (before)', fmt(med(old), 2), fmt(med(old) / 10, 2), '1.00']);
  rows.push(['one shared 100 ms timer, /proc every 1 s (now)', fmt(med(shared), 2), fmt(med(shared) / 10, 2), fmt(med(shared) / med(old), 3)]);
  console.log(`adopted-daemon watch: ${DAEMONS} live processes, ${SECONDS} s per run, median of ${RUNS} runs`);
  console.log(table(['watch', 'CPU ms/s', '% of a core', 'ratio'], rows));
} finally {
  for (const c of children) c.kill('SIGKILL');
}
