// API reads against Octavia's: the request mix of the reference measurement of Octavia 11 (20
// load balancers, GET show and GET list by 8 concurrent clients, noop provider) on `fulcrum
// serve` with the embedded database, plus create → ACTIVE of those 20 one at a time. Show and
// list alternate for several rounds; the table gives each operation's median round beside
// Octavia's figures and the ratio to them, and the goal of ten times Octavia. On a machine that
// other work shares, req/s swing with the load: the server's CPU time per request (from
// /proc/<pid>/stat) and the req/s one core would give at that cost are printed too.
//
//   node --import tsx bench/api-reads.ts
//   BENCH_READ_LBS=20 BENCH_READ_CONCURRENCY=8 BENCH_READ_SECONDS=4 BENCH_READ_ROUNDS=5
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLoadBalancer, fmt, intFromEnv, load, startSetup, stats, table, type Client } from './lib.ts';

const LBS = intFromEnv('BENCH_READ_LBS', 20);
const CONCURRENCY = intFromEnv('BENCH_READ_CONCURRENCY', 8);
const SECONDS = intFromEnv('BENCH_READ_SECONDS', 4);
const ROUNDS = intFromEnv('BENCH_READ_ROUNDS', 5);
const MAX_REQUESTS = 100_000;

/** Octavia 11 on the same kind of machine (req/s, lowest and highest of its runs). */
const OCTAVIA = { show: [124, 141], list: [54, 75] } as const;
/** Ten times Octavia's middle figure. */
const GOAL = { show: 1300, list: 640 } as const;

/** User + system CPU seconds of a process so far (Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function waitActive(c: Client, id: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const body = await c.expect(200, 'GET', `/v2/lbaas/loadbalancers/${id}?fields=provisioning_status`);
    const status = body.loadbalancer.provisioning_status;
    if (status === 'ACTIVE') return;
    if (status !== 'PENDING_CREATE') throw new Error(`load balancer ${id} went ${status}`);
    if (performance.now() > deadline) throw new Error(`load balancer ${id} not ACTIVE after 10 s`);
    await sleep(1);
  }
}

const setup = await startSetup('pglite', CONCURRENCY);
console.log(`== ${setup.label}: ${setup.origin}, pid ${setup.pids.join(', ')}`);
const c = setup.client;
const rounds = { show: [] as number[], list: [] as number[] };
/** Server CPU milliseconds per request, per round. */
const cpu = { show: [] as number[], list: [] as number[] };
const toActive: number[] = [];
try {
  await load({ concurrency: 2, maxRequests: 300, maxMs: 5000, op: async () => void (await c.expect(200, 'GET', '/')) });
  for (let i = 0; i < 3; i++) await waitActive(c, await createLoadBalancer(c, `warm-${i}`));
  // The reads see exactly LBS load balancers: the warm-up ones go first.
  for (const lb of (await c.expect(200, 'GET', '/v2/lbaas/loadbalancers')).loadbalancers) await c.expect(204, 'DELETE', `/v2/lbaas/loadbalancers/${lb.id}`);
  for (;;) {
    if ((await c.expect(200, 'GET', '/v2/lbaas/loadbalancers')).loadbalancers.length === 0) break;
    await sleep(10);
  }

  const ids: string[] = [];
  for (let i = 0; i < LBS; i++) {
    const t0 = performance.now();
    const id = await createLoadBalancer(c, `reads-${i}`);
    await waitActive(c, id);
    toActive.push(performance.now() - t0);
    ids.push(id);
  }
  const show = async (i: number) => void (await c.expect(200, 'GET', `/v2/lbaas/loadbalancers/${ids[i % ids.length]}`));
  const list = async () => {
    const body = await c.expect(200, 'GET', '/v2/lbaas/loadbalancers');
    if (body.loadbalancers.length !== LBS) throw new Error(`list returned ${body.loadbalancers.length} of ${LBS}`);
  };
  await load({ concurrency: CONCURRENCY, maxRequests: 2000, maxMs: 3000, op: show });
  await load({ concurrency: CONCURRENCY, maxRequests: 1000, maxMs: 3000, op: list });
  const pid = setup.pids[0];
  const measured = async (op: 'show' | 'list', fn: (i: number) => Promise<void>) => {
    const c0 = cpuSeconds(pid);
    const r = await load({ concurrency: CONCURRENCY, maxRequests: MAX_REQUESTS, maxMs: SECONDS * 1000, op: fn });
    rounds[op].push(r.rps);
    cpu[op].push(((cpuSeconds(pid) - c0) * 1000) / r.count);
    return r;
  };
  for (let r = 0; r < ROUNDS; r++) {
    const s = await measured('show', show);
    const l = await measured('list', list);
    console.log(
      `round ${r + 1}: show ${fmt(s.rps, 0)} req/s (median ${fmt(s.latency.median, 2)} ms, server CPU ${fmt(cpu.show.at(-1)!, 3)} ms/req), ` +
        `list ${fmt(l.rps, 0)} req/s (median ${fmt(l.latency.median, 2)} ms, server CPU ${fmt(cpu.list.at(-1)!, 3)} ms/req)`,
    );
  }
} finally {
  await setup.stop();
}

const row = (op: 'show' | 'list') => {
  const s = stats(rounds[op]);
  const [lo, hi] = OCTAVIA[op];
  return [
    `GET ${op}`,
    fmt(s.median, 0),
    `${fmt(s.min, 0)}-${fmt(s.max, 0)}`,
    `${lo}-${hi}`,
    `${fmt(s.median / hi, 1)}x-${fmt(s.median / lo, 1)}x`,
    `${GOAL[op]}`,
    s.median >= GOAL[op] ? 'yes' : 'no',
    fmt(stats(cpu[op]).median, 3),
    fmt(1000 / stats(cpu[op]).median, 0),
  ];
};
const active = stats(toActive);
console.log(`\nAPI reads, ${LBS} load balancers, ${CONCURRENCY} concurrent clients, noop provider, PGlite (serve); ${ROUNDS} rounds of ${SECONDS} s`);
console.log(table(['operation', 'req/s (median)', 'rounds', 'Octavia req/s', 'vs Octavia', 'goal (10x)', 'met', 'server CPU ms/req', 'req/s per core'], [row('show'), row('list')]));
console.log(`create → ACTIVE (${active.n} one at a time): median ${fmt(active.median)} ms, p90 ${fmt(active.p90)} ms (goal: median under 25 ms)`);
