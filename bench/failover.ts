// Failover → traffic on the replacement amphora, on the amphora provider (process compute
// driver). One load balancer (HTTP listener, round-robin pool, two members); one bounded probe
// loop sends GETs through the VIP, each on a new connection, one after another. Rounds of
// `PUT /v2/lbaas/loadbalancers/{id}/failover`, each waited for (LB ACTIVE) and left to settle:
//   served by new  PUT sent → the first response to a request sent after the old amphora's
//                  HAProxy had exited (from then on only the replacement can answer)
//   gap            the longest time between two successful responses around the failover
//   failed         probe requests that failed from the PUT until the round settled
// with the API, job and ACTIVE times beside them. Baseline, in the same run and with the same
// probe: a hand-run HAProxy in front of the same backends restarted (stop, start again), which
// is what replacing a load balancer's process costs without a handover.
//
//   node --import tsx bench/failover.ts
//   BENCH_FO_ROUNDS=10 BENCH_DP_SETTLE_MS=300
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, intFromEnv, stats, table, type Stats } from './lib.ts';
import {
  amphoraRunDir,
  createTree,
  firstOk,
  freePort,
  lbJobs,
  loadNote,
  minimalHaproxyConfig,
  pidAlive,
  probeOnce,
  startBackends,
  startDataplaneServe,
  startHaproxy,
  tempDir,
  waitLbActive,
  wallNow,
  type Probe,
} from './dataplane-lib.ts';

const ROUNDS = intFromEnv('BENCH_FO_ROUNDS', 10);
const SETTLE_MS = intFromEnv('BENCH_DP_SETTLE_MS', 300);
/** Hard bound on each probe loop, whatever happens to the rest. */
const PROBE_MAX_MS = 10 * 60_000;
const TARGET_MS = 1000;
const LISTENER_PORT = 8080;

interface Round {
  t0: number;
  end: number;
  apiMs: number;
  jobMs: number;
  activeMs: number;
  oldGoneMs: number;
  servedByNewMs: number;
  gapMs: number;
  failed: number;
  requests: number;
}

/** Sequential probes on new connections into `into`, until `running()` is false or the bound. */
function probeLoop(url: string, into: Probe[], running: () => boolean): Promise<void> {
  const start = performance.now();
  return (async () => {
    while (running() && performance.now() - start < PROBE_MAX_MS) into.push(await probeOnce(url, 1000));
  })();
}

/** Resolves with the wall-clock time `pid` was first seen gone (polled every ms). */
async function goneAt(pid: number, timeoutMs = 60_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (performance.now() > deadline) return NaN;
    await sleep(1);
  }
  return wallNow();
}

/** What the probes saw between t0 and end: failures, and the longest time without a success. */
function windowOf(probes: Probe[], t0: number, end: number): { failed: number; requests: number; gapMs: number } {
  const win = probes.filter((p) => p.sent >= t0 && p.sent < end);
  const oks = probes.filter((p) => p.status === 200 && p.done >= t0 - 1000 && p.done < end + 1000).map((p) => p.done);
  let gapMs = 0;
  for (let i = 1; i < oks.length; i++) gapMs = Math.max(gapMs, oks[i] - oks[i - 1]);
  return { failed: win.filter((p) => p.status !== 200).length, requests: win.length, gapMs };
}

const serve = await startDataplaneServe(2);
const backends = await startBackends(2);
console.log(`-- start: ${loadNote()}`);
console.log(`== fulcrum serve (amphora provider) at ${serve.origin}, pid ${serve.servePid}; backends: ${backends.kind} on ${backends.ports.join(', ')}`);

const probes: Probe[] = [];
let probing = true;
let loop: Promise<void> = Promise.resolve();
const rounds: Round[] = [];
const baseline: Round[] = [];
const { dir: haproxyDir, remove: removeHaproxyDir } = tempDir('fulcrum-bench-failover-');
try {
  const c = serve.client;
  const tree = await createTree(c, serve.subnetId, 'failover', LISTENER_PORT, backends.ports);
  console.log(`load balancer ${tree.lbId}, VIP ${tree.url}`);
  loop = probeLoop(tree.url, probes, () => probing);
  await sleep(500);

  for (let round = 0; round < ROUNDS; round++) {
    const oldMaster = Number(readFileSync(join(amphoraRunDir(serve, tree.lbId), 'haproxy.pid'), 'utf8').trim());
    const oldGone = goneAt(oldMaster);
    const t0 = wallNow();
    const res = await c.call('PUT', `/v2/lbaas/loadbalancers/${tree.lbId}/failover`);
    if (res.status !== 202) throw new Error(`failover answered ${res.status}: ${JSON.stringify(res.body)}`);
    const apiMs = wallNow() - t0;
    await waitLbActive(c, tree.lbId);
    const activeMs = wallNow() - t0;
    const gone = await oldGone;
    await sleep(SETTLE_MS);
    const end = wallNow();
    const job = (await lbJobs(c, tree.lbId)).at(-1);
    const firstNew = probes.find((p) => p.sent >= gone && p.status === 200);
    rounds.push({
      t0,
      end,
      apiMs,
      jobMs: (job?.finished ?? NaN) - (job?.created ?? NaN),
      activeMs,
      oldGoneMs: gone - t0,
      servedByNewMs: firstNew ? firstNew.done - t0 : NaN,
      ...windowOf(probes, t0, end),
    });
    process.stdout.write('.');
  }
  probing = false;
  await loop;

  // Baseline: the same probe against a hand-run HAProxy that is stopped and started again.
  const port = await freePort();
  const cfg = join(haproxyDir, 'haproxy.cfg');
  const servers = backends.ports.map((p, i) => `    server be${i + 1} 127.0.0.1:${p}`);
  writeFileSync(cfg, minimalHaproxyConfig(port, ['default_backend be'], ['backend be', '    balance roundrobin', ...servers]));
  let haproxy = startHaproxy(cfg);
  const url = `http://127.0.0.1:${port}/`;
  await firstOk(url);
  const baseProbes: Probe[] = [];
  probing = true;
  loop = probeLoop(url, baseProbes, () => probing);
  await sleep(500);
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = wallNow();
    await haproxy.stop();
    const stoppedMs = wallNow() - t0;
    haproxy = startHaproxy(cfg);
    await firstOk(url, 10_000, 1);
    await sleep(SETTLE_MS);
    const end = wallNow();
    const firstAfter = baseProbes.find((p) => p.sent >= t0 + stoppedMs && p.status === 200);
    baseline.push({
      t0,
      end,
      apiMs: NaN,
      jobMs: NaN,
      activeMs: NaN,
      oldGoneMs: stoppedMs,
      servedByNewMs: firstAfter ? firstAfter.done - t0 : NaN,
      ...windowOf(baseProbes, t0, end),
    });
    process.stdout.write('.');
  }
  process.stdout.write('\n');
  probing = false;
  await loop;
  await haproxy.stop();

  const s = (xs: number[]): Stats => stats(xs.filter(Number.isFinite));
  const med = (xs: number[]) => fmt(s(xs).median);
  const row = (label: string, rs: Round[]) => [
    label,
    med(rs.map((r) => r.apiMs)),
    med(rs.map((r) => r.jobMs)),
    med(rs.map((r) => r.activeMs)),
    med(rs.map((r) => r.oldGoneMs)),
    med(rs.map((r) => r.servedByNewMs)),
    fmt(s(rs.map((r) => r.servedByNewMs)).max),
    med(rs.map((r) => r.gapMs)),
    fmt(s(rs.map((r) => r.gapMs)).max),
    `${rs.reduce((n, r) => n + r.failed, 0)}/${rs.reduce((n, r) => n + r.requests, 0)}`,
  ];
  console.log(`\nFailover → traffic on the replacement: ${ROUNDS} rounds each; probe: sequential GETs on new connections; times in ms from the failover (or the restart), medians unless marked max`);
  console.log(
    table(
      ['', 'API', 'job', 'ACTIVE seen', 'old stopped', 'served by new', 'max', 'gap', 'max gap', 'failed/requests'],
      [row('Fulcrum LB failover', rounds), row('baseline: HAProxy restart', baseline)],
    ),
  );
  const served = s(rounds.map((r) => r.servedByNewMs));
  const failed = rounds.reduce((n, r) => n + r.failed, 0);
  const baseGap = s(baseline.map((r) => r.gapMs)).median;
  const gap = s(rounds.map((r) => r.gapMs)).median;
  console.log(
    `\nServed by the new amphora after median ${fmt(served.median)} ms (max ${fmt(served.max)}); longest service gap median ${fmt(gap)} ms ` +
      `vs ${fmt(baseGap)} ms for a plain HAProxy restart (ratio ${fmt(gap / baseGap, 2)}); failed requests ${failed} vs ${baseline.reduce((n, r) => n + r.failed, 0)}`,
  );
  console.log(`Target: served by the new amphora within ${TARGET_MS} ms (median): ${served.median < TARGET_MS ? 'meets' : 'MISSES'}`);
  console.log(`-- end: ${loadNote()}`);
} finally {
  probing = false;
  await loop.catch(() => undefined);
  await backends.stop();
  await serve.stop();
  await removeHaproxyDir();
}
