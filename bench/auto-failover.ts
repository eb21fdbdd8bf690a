// Amphora loss → automatic failover → traffic on the replacement, with the product defaults
// (heartbeat every 1 s, timeout 3 s), on the amphora provider (process compute driver). One
// load balancer; a bounded sequential probe loop through the VIP. Each round kills the
// amphora's HAProxy (master and workers) after removing its configuration, so the agent cannot
// bring it back and only a failover can; nobody calls the API. Per round, from the kill:
//   job queued     the health manager's failover job was created (detection)
//   served by new  the first successful probe sent after the kill
//   ACTIVE seen    the load balancer is ACTIVE again
// Baseline in the same run: the same loss followed at once by the operator's
// PUT /v2/octavia/amphorae/{id}/failover (no detection), so the difference is what detection costs.
//
//   node --import tsx bench/auto-failover.ts
//   BENCH_AF_ROUNDS=10
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, intFromEnv, stats, table } from './lib.ts';
import { amphoraRunDir, childPids, createTree, killPid, lbJobs, loadNote, pidAlive, probeOnce, startBackends, startDataplaneServe, waitLbActive, wallNow, type Probe } from './dataplane-lib.ts';
import type { Client } from './lib.ts';

const ROUNDS = intFromEnv('BENCH_AF_ROUNDS', 10);
const PROBE_MAX_MS = 20 * 60_000;
const TARGET_MS = 10_000;

interface Round {
  jobMs: number;
  servedMs: number;
  activeMs: number;
  failed: number;
}

function probeLoop(url: string, into: Probe[], running: () => boolean): Promise<void> {
  const start = performance.now();
  return (async () => {
    while (running() && performance.now() - start < PROBE_MAX_MS) {
      into.push(await probeOnce(url, 500));
      await sleep(10);
    }
  })();
}

async function waitOnline(c: Client, lbId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const body = await c.expect(200, 'GET', `/v2/lbaas/loadbalancers/${lbId}`);
    if (body.loadbalancer.operating_status === 'ONLINE' && body.loadbalancer.provisioning_status === 'ACTIVE') return;
    if (performance.now() > deadline) throw new Error(`load balancer ${lbId} not ONLINE: ${JSON.stringify(body.loadbalancer)}`);
    await sleep(50);
  }
}

/** Kills the amphora's HAProxy so that it cannot be restarted from its configuration; returns the kill time. */
function loseAmphora(runDir: string): number {
  const master = Number(readFileSync(join(runDir, 'haproxy.pid'), 'utf8').trim());
  const workers = childPids(master);
  rmSync(join(runDir, 'haproxy.cfg'), { force: true });
  const t = wallNow();
  for (const pid of [master, ...workers]) killPid(pid, 'SIGKILL');
  return t;
}

async function waitGone(runDir: string): Promise<void> {
  const master = Number(readFileSync(join(runDir, 'haproxy.pid'), 'utf8').trim());
  while (pidAlive(master)) await sleep(5);
}

const serve = await startDataplaneServe(2);
const backends = await startBackends(2);
console.log(`-- start: ${loadNote()}`);
const probes: Probe[] = [];
let probing = true;
let loop: Promise<void> = Promise.resolve();
const auto: Round[] = [];
const manual: Round[] = [];
try {
  const c = serve.client;
  const tree = await createTree(c, serve.subnetId, 'autofailover', 8080, backends.ports);
  console.log(`load balancer ${tree.lbId}, VIP ${tree.url}`);
  loop = probeLoop(tree.url, probes, () => probing);
  for (let round = 0; round < 2 * ROUNDS; round++) {
    const automatic = round % 2 === 0;
    // Heartbeats flowing from the current amphora (ONLINE comes from them).
    await waitOnline(c, tree.lbId);
    await sleep(1500);
    const runDir = amphoraRunDir(serve, tree.lbId);
    const jobsBefore = (await lbJobs(c, tree.lbId)).length;
    const t0 = loseAmphora(runDir);
    await waitGone(runDir);
    if (!automatic) {
      const amphorae = await c.expect(200, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${tree.lbId}`);
      await c.expect(202, 'PUT', `/v2/octavia/amphorae/${amphorae.amphorae[0].id}/failover`);
    }
    let jobs = await lbJobs(c, tree.lbId);
    while (jobs.length === jobsBefore) {
      await sleep(20);
      jobs = await lbJobs(c, tree.lbId);
    }
    await sleep(200);
    await waitLbActive(c, tree.lbId, 120_000);
    const activeMs = wallNow() - t0;
    const firstOk = probes.find((p) => p.sent >= t0 && p.status === 200);
    const during = probes.filter((p) => p.sent >= t0 && (!firstOk || p.sent <= firstOk.sent));
    (automatic ? auto : manual).push({
      jobMs: jobs[jobsBefore].created - t0,
      servedMs: firstOk ? firstOk.done - t0 : NaN,
      activeMs,
      failed: during.filter((p) => p.status !== 200).length,
    });
    process.stdout.write(automatic ? 'a' : 'm');
  }
  process.stdout.write('\n');
  probing = false;
  await loop;
  const med = (xs: number[]) => fmt(stats(xs.filter(Number.isFinite)).median);
  const max = (xs: number[]) => fmt(stats(xs.filter(Number.isFinite)).max);
  const row = (label: string, rs: Round[]) => [
    label,
    med(rs.map((r) => r.jobMs)),
    med(rs.map((r) => r.servedMs)),
    max(rs.map((r) => r.servedMs)),
    med(rs.map((r) => r.activeMs)),
    String(rs.reduce((n, r) => n + r.failed, 0)),
  ];
  console.log(`\nAmphora loss (HAProxy killed, not restartable) → served again: ${ROUNDS} rounds each; probe every ~10 ms; ms from the kill, medians unless marked max`);
  console.log(table(['', 'job queued', 'served by new', 'max', 'ACTIVE seen', 'failed probes'], [row('automatic (health manager, defaults)', auto), row('baseline: operator failover at once', manual)]));
  const served = stats(auto.map((r) => r.servedMs).filter(Number.isFinite)).median;
  const base = stats(manual.map((r) => r.servedMs).filter(Number.isFinite)).median;
  console.log(`\nDetection costs ${fmt(served - base)} ms (automatic ${fmt(served)} ms vs operator ${fmt(base)} ms, ratio ${fmt(served / base, 2)}).`);
  console.log(`Target (single amphora lost, outage < ${TARGET_MS / 1000} s with a host's agent gone; < 3 s for a lost amphora): ${served < 3000 ? 'meets 3 s' : served < TARGET_MS ? 'meets 10 s, MISSES 3 s' : 'MISSES'}`);
  console.log(`-- end: ${loadNote()}`);
} finally {
  probing = false;
  await loop;
  await backends.stop();
  await serve.stop();
}
