// Member change → traffic following it, on the amphora provider. One load balancer (HTTP
// listener, round-robin pool, members be1 and be2); one bounded probe loop sends GETs through
// the VIP, each on a new connection, one after another (so round-robin order is exact), and
// records who answered. Rounds of member changes through the API, each waited for (LB ACTIVE)
// and left to settle before the next:
//   disable be1 (admin_state_up false)  → the first response after be1's last one
//   enable be1                          → the first be1 response
//   be2 weight 1 → 4                    → the first be2 answering twice in a row
//   be2 weight 4 → 1                    → the first be1 answering twice within three responses
//   add member be3                      → the first be3 response
//   delete member be3                   → the first response after be3's last one
// Time = API call sent → that response received. Failed probe requests are counted over the
// whole run. Breakdown per change from the job (database clock) and agent.log (the PUT …/haproxy
// the change caused, whole ms), and whether HAProxy reloaded (a new worker pid) or not
// (runtime API).
//
//   node --import tsx bench/dataplane-changes.ts
//   BENCH_DP_ROUNDS=5 BENCH_DP_SETTLE_MS=300
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, intFromEnv, stats, table, type Stats } from './lib.ts';
import {
  agentRequests,
  amphoraRunDir,
  childPids,
  createTree,
  firstAgentRequest,
  haproxyCheck,
  lbJobs,
  probeOnce,
  startBackends,
  startDataplaneServe,
  waitLbActive,
  wallNow,
  type Probe,
  loadNote,
} from './dataplane-lib.ts';

const ROUNDS = intFromEnv('BENCH_DP_ROUNDS', 5);
const SETTLE_MS = intFromEnv('BENCH_DP_SETTLE_MS', 300);
/** Hard bound on the probe loop, whatever happens to the rest. */
const PROBE_MAX_MS = 10 * 60_000;
const TARGET_MEDIAN_MS = 100;
const LISTENER_PORT = 8080;

type Kind = 'disable be1' | 'enable be1' | 'weight be2 1→4' | 'weight be2 4→1' | 'add be3' | 'delete be3';
const KINDS: Kind[] = ['disable be1', 'enable be1', 'weight be2 1→4', 'weight be2 4→1', 'add be3', 'delete be3'];

interface Change {
  kind: Kind;
  t0: number;
  apiMs: number;
  apiStatus: number;
  activeMs: number;
  end: number;
  reloaded: boolean;
  jobCreatedMs: number;
  agentReceivedMs: number;
  agentDoneMs: number;
  agentMs: number;
  jobFinishedMs: number;
  /** API call sent → first response reflecting the change (NaN: not seen before the next change). */
  effectMs: number;
}

const serve = await startDataplaneServe(2);
const backends = await startBackends(3);
const [be1Port, be2Port, be3Port] = backends.ports;
console.log(`-- start: ${loadNote()}`);
console.log(`== fulcrum serve (amphora provider) at ${serve.origin}, pid ${serve.servePid}; backends: ${backends.kind} be1..be3 on ${backends.ports.join(', ')}`);

const probes: Probe[] = [];
let probing = true;
let probeLoop: Promise<void> = Promise.resolve();
try {
  const c = serve.client;
  const tree = await createTree(c, serve.subnetId, 'dp-changes', LISTENER_PORT, [be1Port, be2Port]);
  const [m1, m2] = tree.memberIds;
  const runDir = amphoraRunDir(serve, tree.lbId);
  const amphoraId = basename(runDir);
  const masterPid = Number(readFileSync(join(runDir, 'haproxy.pid'), 'utf8').trim());
  console.log(`load balancer ${tree.lbId}, VIP ${tree.url}, amphora ${amphoraId}, haproxy master ${masterPid}`);

  const probeStart = performance.now();
  probeLoop = (async () => {
    while (probing && performance.now() - probeStart < PROBE_MAX_MS) probes.push(await probeOnce(tree.url, 1000));
  })();
  await sleep(500);

  const changes: Change[] = [];
  let m3: string | null = null;
  const apply = async (kind: Kind, call: () => Promise<number>) => {
    const workersBefore = childPids(masterPid);
    const t0 = wallNow();
    const apiStatus = await call();
    const apiMs = wallNow() - t0;
    await waitLbActive(c, tree.lbId);
    const activeMs = wallNow() - t0;
    await sleep(SETTLE_MS);
    const workersAfter = childPids(masterPid);
    const job = (await lbJobs(c, tree.lbId)).at(-1);
    const put = firstAgentRequest(agentRequests(serve.agentDir), 'PUT', `/1.0/amphorae/${amphoraId}/haproxy`, t0);
    changes.push({
      kind,
      t0,
      apiMs,
      apiStatus,
      activeMs,
      end: wallNow(),
      reloaded: workersAfter.some((p) => !workersBefore.includes(p)),
      jobCreatedMs: (job?.created ?? NaN) - t0,
      jobFinishedMs: (job?.finished ?? NaN) - t0,
      agentReceivedMs: (put?.received ?? NaN) - t0,
      agentDoneMs: (put?.completed ?? NaN) - t0,
      agentMs: put?.responseTime ?? NaN,
      effectMs: NaN,
    });
  };
  const member = (id: string, body: object) => async () =>
    (await c.call('PUT', `/v2/lbaas/pools/${tree.poolId}/members/${id}`, { member: body })).status;

  for (let round = 0; round < ROUNDS; round++) {
    await apply('disable be1', member(m1, { admin_state_up: false }));
    await apply('enable be1', member(m1, { admin_state_up: true }));
    await apply('weight be2 1→4', member(m2, { weight: 4 }));
    await apply('weight be2 4→1', member(m2, { weight: 1 }));
    await apply('add be3', async () => {
      const res = await c.call('POST', `/v2/lbaas/pools/${tree.poolId}/members`, { member: { address: '127.0.0.1', protocol_port: be3Port } });
      m3 = res.body?.member?.id ?? null;
      return res.status;
    });
    await apply('delete be3', async () => (await c.call('DELETE', `/v2/lbaas/pools/${tree.poolId}/members/${m3}`)).status);
    process.stdout.write('.');
  }
  process.stdout.write('\n');
  probing = false;
  await probeLoop;

  // Effects, from the probe log: only responses sent after the change and before the next one.
  for (const ch of changes) {
    const win = probes.filter((p) => p.sent >= ch.t0 && p.sent < ch.end && p.status === 200);
    let hit: Probe | undefined;
    const lastOf = (name: string) => {
      for (let i = win.length - 1; i >= 0; i--) if (win[i].body === name) return i;
      return -1;
    };
    switch (ch.kind) {
      case 'disable be1':
      case 'delete be3': {
        const last = lastOf(ch.kind === 'disable be1' ? 'be1' : 'be3');
        hit = win[last + 1];
        break;
      }
      case 'enable be1':
        hit = win.find((p) => p.body === 'be1');
        break;
      case 'add be3':
        hit = win.find((p) => p.body === 'be3');
        break;
      case 'weight be2 1→4':
        hit = win.find((p, i) => i > 0 && p.body === 'be2' && win[i - 1].body === 'be2');
        break;
      case 'weight be2 4→1':
        hit = win.find((p, i) => i > 1 && p.body === 'be1' && (win[i - 1].body === 'be1' || win[i - 2].body === 'be1'));
        break;
    }
    ch.effectMs = hit ? hit.done - ch.t0 : NaN;
  }

  const failed = probes.filter((p) => p.status !== 200);
  const byError = new Map<string, number>();
  for (const p of failed) byError.set(p.error ?? `HTTP ${p.status}`, (byError.get(p.error ?? `HTTP ${p.status}`) ?? 0) + 1);
  const gaps = probes.slice(1).map((p, i) => p.sent - probes[i].done);
  const durations = stats(probes.map((p) => p.done - p.sent));

  const s = (xs: number[]): Stats => stats(xs.filter(Number.isFinite));
  const cell = (st: Stats) => (st.n ? fmt(st.median) : '-');
  console.log(
    `\nMember change → traffic follows: ${ROUNDS} rounds; probe loop ${probes.length} requests on new connections ` +
      `(each ${fmt(durations.median, 2)} ms median, p99 ${fmt(durations.p99, 2)} ms; max pause between requests ${fmt(Math.max(...gaps), 1)} ms); ` +
      `times in ms from the API call, medians`,
  );
  const rows = KINDS.map((kind) => {
    const cs = changes.filter((ch) => ch.kind === kind);
    const eff = s(cs.map((ch) => ch.effectMs));
    return [
      kind,
      cs.every((ch) => ch.apiStatus < 300) ? String(cs[0]?.apiStatus ?? '-') : cs.map((ch) => ch.apiStatus).join('/'),
      `${cs.filter((ch) => ch.reloaded).length}/${cs.length}`,
      cell(s(cs.map((ch) => ch.apiMs))),
      cell(s(cs.map((ch) => ch.jobCreatedMs))),
      cell(s(cs.map((ch) => ch.agentReceivedMs))),
      cell(s(cs.map((ch) => ch.agentMs))),
      cell(s(cs.map((ch) => ch.agentDoneMs))),
      cell(s(cs.map((ch) => ch.effectMs - ch.agentReceivedMs))),
      cell(s(cs.map((ch) => ch.jobFinishedMs))),
      cell(s(cs.map((ch) => ch.activeMs))),
      cell(eff),
      eff.n ? fmt(eff.p90) : '-',
      eff.n ? fmt(eff.max) : '-',
      `${eff.n}/${cs.length}`,
    ];
  });
  console.log(
    table(
      ['change', 'HTTP', 'reloads', 'API', 'job created', 'agent got PUT', 'agent took', 'agent done', 'PUT → traffic', 'job done', 'ACTIVE seen', 'traffic follows', 'p90', 'max', 'seen'],
      rows,
    ),
  );
  const all = s(changes.map((ch) => ch.effectMs));
  console.log(
    `\nAll changes: traffic follows after median ${fmt(all.median)} ms, p90 ${fmt(all.p90)} ms, max ${fmt(all.max)} ms (${all.n}/${changes.length} seen); ` +
      `probe requests failed: ${failed.length} of ${probes.length}` +
      (failed.length ? ` (${[...byError].map(([k, v]) => `${v} ${k}`).join(', ')})` : ''),
  );
  const verdict = all.median < TARGET_MEDIAN_MS && failed.length === 0 ? 'meets' : 'MISSES';
  console.log(`Target: median < ${TARGET_MEDIAN_MS} ms and 0 failed requests: ${verdict}`);
  // What the agent's validation alone costs: `haproxy -c` of the rendered config, as the agent runs it.
  const checks: number[] = [];
  for (let i = 0; i < 10; i++) {
    const r = haproxyCheck(join(runDir, 'haproxy.cfg'));
    if (r.ok) checks.push(r.ms);
  }
  const check = stats(checks);
  console.log(`haproxy -c of the rendered config (which the agent runs before every change, reload or not): median ${fmt(check.median)} ms, min ${fmt(check.min)} ms (${check.n} runs)`);
  const reloadRows = changes.filter((ch) => ch.reloaded);
  const runtimeRows = changes.filter((ch) => !ch.reloaded);
  if (reloadRows.length && runtimeRows.length) {
    console.log(
      `By mechanism: with a reload median ${fmt(s(reloadRows.map((ch) => ch.effectMs)).median)} ms (${reloadRows.length} changes), ` +
        `without (runtime API) ${fmt(s(runtimeRows.map((ch) => ch.effectMs)).median)} ms (${runtimeRows.length} changes)`,
    );
  }
  console.log(`-- end: ${loadNote()}`);
} finally {
  probing = false;
  await probeLoop.catch(() => undefined);
  await backends.stop();
  await serve.stop();
}
