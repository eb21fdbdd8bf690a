// Time from `POST /v2/lbaas/loadbalancers` to `provisioning_status` ACTIVE with the noop
// driver, per back end, polling GET: first one load balancer at a time, then with several
// clients creating at once (where a worker that misses a wake-up shows as a pollMs-long
// outlier). The POST's own latency and the database's job duration (created → finished)
// split the total into API, queue and flow.
//
//   node --import tsx bench/create-to-active.ts
//   BENCH_SETUPS=pglite,postgres BENCH_LBS=50 BENCH_CLIENTS=4 BENCH_POLL_MS=1
import { setTimeout as sleep } from 'node:timers/promises';
import { createLoadBalancer, fmt, intFromEnv, load, setupsFromEnv, startSetup, stats, table, type SetupKind, type Stats } from './lib.ts';

const LBS = intFromEnv('BENCH_LBS', 50);
const CLIENTS = intFromEnv('BENCH_CLIENTS', 4);
const POLL_MS = intFromEnv('BENCH_POLL_MS', 1);
const TIMEOUT_MS = 10_000;
const TARGET_MEDIAN_MS = 50;
const SETUPS = setupsFromEnv(['pglite', 'postgres']);

interface Result {
  kind: SetupKind;
  label: string;
  floor: Stats;
  post: Stats;
  active: Stats;
  job: Stats;
  polls: Stats;
  /** The same LBS creations by CLIENTS clients at once. */
  concurrent: Stats;
}

/** Job durations by the database's clock; Octavia-style times are naive UTC. */
function dbMs(from: string, to: string): number {
  return Date.parse(`${to}Z`) - Date.parse(`${from}Z`);
}

async function measure(kind: SetupKind): Promise<Result> {
  const setup = await startSetup(kind, CLIENTS + 1);
  console.log(`\n== ${setup.label}: ${setup.origin}, pids ${setup.pids.join(', ')}`);
  const c = setup.client;
  try {
    await load({ concurrency: 1, maxRequests: 200, maxMs: 5000, op: async () => void (await c.expect(200, 'GET', '/')) });
    const floor = await load({ concurrency: 1, maxRequests: 1000, maxMs: 5000, op: async () => void (await c.expect(200, 'GET', '/')) });
    // A few creations to warm up the write path and the worker before measuring.
    for (let i = 0; i < 3; i++) await waitActive(await createLoadBalancer(c, `warm-${i}`));

    const post: number[] = [];
    const active: number[] = [];
    const polls: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < LBS; i++) {
      const t0 = performance.now();
      const id = await createLoadBalancer(c, `c2a-${i}`);
      post.push(performance.now() - t0);
      polls.push(await waitActive(id));
      active.push(performance.now() - t0);
      ids.push(id);
    }
    const job: number[] = [];
    for (const id of ids) {
      const body = await c.expect(200, 'GET', `/v2/fulcrum/jobs?load_balancer_id=${id}`);
      const [j] = body.jobs;
      if (j?.state !== 'succeeded') throw new Error(`job of ${id}: ${JSON.stringify(j)}`);
      job.push(dbMs(j.created_at, j.finished_at));
    }
    const concurrent = await load({
      concurrency: CLIENTS,
      maxRequests: LBS,
      maxMs: 120_000,
      op: async (i) => void (await waitActive(await createLoadBalancer(c, `c2a-burst-${i}`))),
    });
    const r: Result = {
      kind,
      label: setup.label,
      floor: floor.latency,
      post: stats(post),
      active: stats(active),
      job: stats(job),
      polls: stats(polls),
      concurrent: concurrent.latency,
    };
    console.log(`create → ACTIVE over ${LBS}: median ${fmt(r.active.median)} ms, p90 ${fmt(r.active.p90)} ms (POST alone: median ${fmt(r.post.median)} ms)`);
    console.log(`  with ${CLIENTS} clients at once: median ${fmt(r.concurrent.median)} ms, p90 ${fmt(r.concurrent.p90)} ms, max ${fmt(r.concurrent.max)} ms`);
    return r;
  } finally {
    await setup.stop();
  }

  async function waitActive(id: string): Promise<number> {
    const deadline = performance.now() + TIMEOUT_MS;
    for (let n = 1; ; n++) {
      const body = await c.expect(200, 'GET', `/v2/lbaas/loadbalancers/${id}?fields=provisioning_status`);
      const status = body.loadbalancer.provisioning_status;
      if (status === 'ACTIVE') return n;
      if (status !== 'PENDING_CREATE') throw new Error(`load balancer ${id} went ${status}`);
      if (performance.now() > deadline) throw new Error(`load balancer ${id} not ACTIVE after ${TIMEOUT_MS} ms`);
      await sleep(POLL_MS);
    }
  }
}

const results: Result[] = [];
for (const kind of SETUPS) results.push(await measure(kind));

console.log(`\nCreate → ACTIVE, noop driver, ${LBS} load balancers one after another, GET polled every ${POLL_MS} ms (times in ms)`);
console.log(
  table(
    ['setup', 'GET /', 'POST', 'to ACTIVE median', 'p90', 'max', 'job (db) median', 'polls median', 'vs GET /'],
    results.map((r) => [
      r.label,
      fmt(r.floor.median, 2),
      fmt(r.post.median),
      fmt(r.active.median),
      fmt(r.active.p90),
      fmt(r.active.max),
      fmt(r.job.median),
      fmt(r.polls.median, 0),
      `${fmt(r.active.median / r.floor.median, 0)}x`,
    ]),
  ),
);
console.log(`\nThe same with ${CLIENTS} clients creating at once (ms)`);
console.log(
  table(
    ['setup', 'median', 'p90', 'p99', 'max'],
    results.map((r) => [r.label, fmt(r.concurrent.median), fmt(r.concurrent.p90), fmt(r.concurrent.p99), fmt(r.concurrent.max)]),
  ),
);
const base = results.find((r) => r.kind === 'pglite');
if (base) {
  for (const r of results) {
    if (r !== base) console.log(`${r.label} vs PGlite: median ${fmt(r.active.median / base.active.median, 2)}x, p90 ${fmt(r.active.p90 / base.active.p90, 2)}x`);
  }
  const verdict = base.active.median < TARGET_MEDIAN_MS ? 'meets' : 'MISSES';
  console.log(`PGlite median ${fmt(base.active.median)} ms ${verdict} the ${TARGET_MEDIAN_MS} ms target`);
}
