// API create → first request served through the VIP, on the amphora provider (process compute
// driver: HAProxy on a loopback VIP, run by the local amphora agent). One load balancer at a
// time: POST LB, then listener, pool and two members, each waited for (GET polled) as a client
// would, then GETs on new connections until the VIP answers 200. Measured:
//   (a) POST LB → LB ACTIVE (the bare amphora boot), with its breakdown from the job and the
//       agent log;
//   (b) POST LB → first 200 through the VIP once the whole tree is ACTIVE.
// Baseline measured in the same run, interleaved with the creates: `haproxy -c` of a trivial
// config plus the start of that HAProxy (`-Ws`, as the agent runs it) until it answers 200.
// The first load balancer also starts the amphora agent and is reported apart.
//
//   node --import tsx bench/dataplane-create.ts
//   BENCH_DP_LBS=15 BENCH_DP_POLL_MS=10
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fmt, intFromEnv, stats, table, type Stats } from './lib.ts';
import {
  addListener,
  addMember,
  addPool,
  agentRequests,
  amphoraRunDir,
  assertVipFree,
  createLb,
  deleteLb,
  firstAgentRequest,
  firstOk,
  freePort,
  haproxyCheck,
  lbJobs,
  startBackends,
  startDataplaneServe,
  startHaproxy,
  tempDir,
  waitLbActive,
  wallNow,
  type DataplaneServe,
  loadNote, minimalHaproxyConfig } from './dataplane-lib.ts';

const LBS = intFromEnv('BENCH_DP_LBS', 15);
const POLL_MS = intFromEnv('BENCH_DP_POLL_MS', 10);
const LISTENER_PORT = 8080;
const TARGET_MEDIAN_MS = 1000;

interface Sample {
  post: number;
  lbActive: number;
  listenerActive: number;
  poolActive: number;
  membersActive: number;
  first200: number;
  // Breakdown of (a), all from the POST: job created (db), agent register received, haproxy
  // start requested, start answered (agent), job finished (db).
  jobCreated: number;
  agentRegister: number;
  haproxyPut: number;
  haproxyStarted: number;
  jobFinished: number;
  /** The agent's own time for the start (haproxy -c + start + first worker). */
  agentStartMs: number;
  deleteMs: number;
}

interface Baseline {
  check: number;
  start: number;
}

async function createOne(serve: DataplaneServe, name: string, backendPorts: number[]): Promise<Sample> {
  const c = serve.client;
  const t0 = wallNow();
  const lb = await createLb(c, serve.subnetId, name);
  const post = wallNow() - t0;
  await waitLbActive(c, lb.id);
  const lbActive = wallNow() - t0;
  // Not timed: the listener's clock starts after it.
  const check0 = wallNow();
  await assertVipFree(lb.vip, LISTENER_PORT);
  const skipped = wallNow() - check0;
  const listenerId = await addListener(c, lb.id, LISTENER_PORT);
  const listenerActive = wallNow() - t0 - skipped;
  const poolId = await addPool(c, lb.id, listenerId);
  const poolActive = wallNow() - t0 - skipped;
  for (const port of backendPorts) await addMember(c, lb.id, poolId, port);
  const membersActive = wallNow() - t0 - skipped;
  const ok = await firstOk(`http://${lb.vip}:${LISTENER_PORT}/`, 10_000, 2);
  const first200 = ok.done - t0 - skipped;

  const amphoraId = basename(amphoraRunDir(serve, lb.id));
  const jobs = await lbJobs(c, lb.id);
  const create = jobs.find((j) => j.target === 'loadbalancer' && j.action === 'create');
  const requests = agentRequests(serve.agentDir);
  const register = firstAgentRequest(requests, 'PUT', `/1.0/amphorae/${amphoraId}`, t0);
  const start = firstAgentRequest(requests, 'PUT', `/1.0/amphorae/${amphoraId}/haproxy`, t0);

  const d0 = wallNow();
  await deleteLb(c, lb.id);
  const deleteMs = wallNow() - d0;
  return {
    post,
    lbActive,
    listenerActive,
    poolActive,
    membersActive,
    first200,
    jobCreated: (create?.created ?? NaN) - t0,
    agentRegister: (register?.received ?? NaN) - t0,
    haproxyPut: (start?.received ?? NaN) - t0,
    haproxyStarted: (start?.completed ?? NaN) - t0,
    jobFinished: (create?.finished ?? NaN) - t0,
    agentStartMs: start?.responseTime ?? NaN,
    deleteMs,
  };
}

/** `haproxy -c` and a start to first 200 of a trivial config, as the agent would run it. */
async function baseline(dir: string, i: number): Promise<Baseline> {
  const port = await freePort();
  const cfg = join(dir, `trivial-${i}.cfg`);
  writeFileSync(
    cfg,
    minimalHaproxyConfig(port, ['http-request return status 200 content-type text/plain string ok']),
  );
  const check = haproxyCheck(cfg);
  if (!check.ok) throw new Error(`haproxy -c failed on the trivial config:\n${check.output}`);
  const t0 = wallNow();
  const hap = startHaproxy(cfg);
  try {
    const ok = await firstOk(`http://127.0.0.1:${port}/`, 10_000, 2);
    return { check: check.ms, start: ok.done - t0 };
  } finally {
    await hap.stop();
  }
}

const serve = await startDataplaneServe(2);
const backends = await startBackends(2);
const scratch = tempDir('fulcrum-bench-dp-create-');
console.log(`-- start: ${loadNote()}`);
console.log(`== fulcrum serve (amphora provider, process compute driver) at ${serve.origin}, pid ${serve.servePid}; backends: ${backends.kind} on ${backends.ports.join(', ')}`);
try {
  const cold = await createOne(serve, 'dp-cold', backends.ports);
  console.log(`first load balancer (also starts the amphora agent, pid ${serve.agentPid()}): LB ACTIVE ${fmt(cold.lbActive, 0)} ms, first 200 ${fmt(cold.first200, 0)} ms`);

  const samples: Sample[] = [];
  const base: Baseline[] = [];
  for (let i = 0; i < LBS; i++) {
    base.push(await baseline(scratch.dir, i));
    samples.push(await createOne(serve, `dp-${i}`, backends.ports));
    process.stdout.write('.');
  }
  process.stdout.write('\n');

  const s = (pick: (x: Sample) => number): Stats => stats(samples.map(pick).filter(Number.isFinite));
  const row = (label: string, st: Stats): string[] => [label, fmt(st.median), fmt(st.p90), fmt(st.min), fmt(st.max)];
  const checkStats = stats(base.map((b) => b.check));
  const startStats = stats(base.map((b) => b.start));
  const baseTotal = stats(base.map((b) => b.check + b.start));
  const lbActive = s((x) => x.lbActive);
  const first = s((x) => x.first200);

  console.log(`\nCreate → traffic, ${LBS} load balancers one after another (after the cold one), GET polled every ${POLL_MS} ms; times in ms from the POST`);
  console.log(
    table(
      ['milestone (from POST LB)', 'median', 'p90', 'min', 'max'],
      [
        row('POST LB answered', s((x) => x.post)),
        row('(a) LB ACTIVE', lbActive),
        row('listener ACTIVE', s((x) => x.listenerActive)),
        row('pool ACTIVE', s((x) => x.poolActive)),
        row('2 members ACTIVE', s((x) => x.membersActive)),
        row('(b) first 200 via VIP', first),
      ],
    ),
  );
  console.log(`\nPer step (ms, medians of differences)`);
  const diff = (a: (x: Sample) => number, b: (x: Sample) => number) => s((x) => b(x) - a(x));
  console.log(
    table(
      ['step', 'median', 'p90', 'min', 'max'],
      [
        row('LB create (POST → ACTIVE)', lbActive),
        row('listener (POST → ACTIVE)', diff((x) => x.lbActive, (x) => x.listenerActive)),
        row('pool (POST → ACTIVE)', diff((x) => x.listenerActive, (x) => x.poolActive)),
        row('2 members (POST → ACTIVE, each)', s((x) => (x.membersActive - x.poolActive) / 2)),
        row('tree ACTIVE → first 200', diff((x) => x.membersActive, (x) => x.first200)),
        row('delete cascade (→ DELETED)', s((x) => x.deleteMs)),
      ],
    ),
  );
  console.log(`\n(a) bare amphora boot: where the time goes (ms from POST LB; job times by the database clock, agent times from agent.log, whole ms)`);
  console.log(
    table(
      ['point', 'median', 'p90', 'min', 'max'],
      [
        row('job created', s((x) => x.jobCreated)),
        row('agent: register amphora received', s((x) => x.agentRegister)),
        row('agent: PUT haproxy (start) received', s((x) => x.haproxyPut)),
        row('agent: haproxy started (answered)', s((x) => x.haproxyStarted)),
        row('job finished', s((x) => x.jobFinished)),
        row('LB ACTIVE seen by the client', lbActive),
        row('agent time for the start itself', s((x) => x.agentStartMs)),
      ],
    ),
  );
  console.log(`\nBaseline in the same run (trivial config, maxconn 9000, ${LBS} times, interleaved with the creates)`);
  console.log(
    table(
      ['baseline', 'median', 'p90', 'min', 'max'],
      [row('haproxy -c', checkStats), row('haproxy -Ws start → first 200', startStats), row('check + start', baseTotal)],
    ),
  );
  console.log(
    `\nLB ACTIVE / (haproxy -c + start): median ${fmt(lbActive.median / baseTotal.median, 1)}x (${fmt(lbActive.median, 0)} vs ${fmt(baseTotal.median, 0)} ms); ` +
      `control-plane overhead ≈ ${fmt(lbActive.median - baseTotal.median, 0)} ms per boot`,
  );
  const verdict = first.median < TARGET_MEDIAN_MS ? 'meets' : 'MISSES';
  console.log(`(b) POST LB → first 200 via the VIP: median ${fmt(first.median, 0)} ms, p90 ${fmt(first.p90, 0)} ms: ${verdict} the ${TARGET_MEDIAN_MS} ms median target`);
  console.log(`-- end: ${loadNote()}`);
} finally {
  await backends.stop();
  await serve.stop();
  await scratch.remove();
}
