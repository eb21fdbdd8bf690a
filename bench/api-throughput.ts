// Requests per second of the load balancer API over a real socket, per back end: the version
// document (GET /, no database: the HTTP floor), create, list, show and delete, each with a
// few concurrent clients and bounded by a request count and a time limit.
//
//   node --import tsx bench/api-throughput.ts
//   BENCH_SETUPS=pglite,postgres BENCH_CONCURRENCY=4 BENCH_SECONDS=5 BENCH_CREATES=300
import { type Client, createLoadBalancer, fmt, intFromEnv, load, settle, setupsFromEnv, startSetup, table, type LoadResult, type SetupKind } from './lib.ts';

const CONCURRENCY = intFromEnv('BENCH_CONCURRENCY', 4);
const SECONDS = intFromEnv('BENCH_SECONDS', 5);
const CREATES = intFromEnv('BENCH_CREATES', 300);
const MAX_READS = 20_000;
const SETUPS = setupsFromEnv(['pglite', 'postgres']);

type Op = 'GET / (floor)' | 'create' | 'list (limit=20)' | 'list (all)' | 'show' | 'delete';
const OPS: Op[] = ['GET / (floor)', 'create', 'list (limit=20)', 'list (all)', 'show', 'delete'];

async function measure(kind: SetupKind): Promise<{ label: string; results: Map<Op, LoadResult>; total: number }> {
  const setup = await startSetup(kind, CONCURRENCY);
  console.log(`\n== ${setup.label}: ${setup.origin}, pids ${setup.pids.join(', ')}`);
  const results = new Map<Op, LoadResult>();
  const c: Client = setup.client;
  const run = async (op: Op, maxRequests: number, fn: (i: number) => Promise<void>) => {
    const r = await load({ concurrency: CONCURRENCY, maxRequests, maxMs: SECONDS * 1000, op: fn });
    results.set(op, r);
    console.log(`${op.padEnd(16)} ${String(r.count).padStart(6)} requests in ${fmt(r.elapsedMs / 1000, 2)} s: ${fmt(r.rps, 0)} req/s, median ${fmt(r.latency.median, 2)} ms, p90 ${fmt(r.latency.p90, 2)} ms`);
  };
  try {
    // Warm-up: JIT, connection pools, the first queries' plans.
    await load({ concurrency: CONCURRENCY, maxRequests: 300, maxMs: 5000, op: async () => void (await c.expect(200, 'GET', '/')) });
    for (let i = 0; i < 10; i++) await c.expect(200, 'GET', '/v2/lbaas/loadbalancers?limit=1');

    await run('GET / (floor)', MAX_READS, async () => void (await c.expect(200, 'GET', '/')));

    const ids: string[] = [];
    await run('create', CREATES, async (i) => void ids.push(await createLoadBalancer(c, `bench-${i}`)));
    // Reads and deletes run on settled rows, without the create flows competing for the database.
    await settle(c);

    await run('list (limit=20)', MAX_READS, async () => void (await c.expect(200, 'GET', '/v2/lbaas/loadbalancers?limit=20')));
    await run('list (all)', MAX_READS, async () => {
      const body = await c.expect(200, 'GET', '/v2/lbaas/loadbalancers');
      if (body.loadbalancers.length !== ids.length) throw new Error(`list returned ${body.loadbalancers.length} of ${ids.length}`);
    });
    await run('show', MAX_READS, async (i) => void (await c.expect(200, 'GET', `/v2/lbaas/loadbalancers/${ids[i % ids.length]}`)));
    await run('delete', ids.length, async (i) => void (await c.expect(204, 'DELETE', `/v2/lbaas/loadbalancers/${ids[i]}`)));
    await settle(c);
    return { label: setup.label, results, total: ids.length };
  } finally {
    await setup.stop();
  }
}

const measured: { kind: SetupKind; label: string; results: Map<Op, LoadResult>; total: number }[] = [];
for (const kind of SETUPS) measured.push({ kind, ...(await measure(kind)) });

console.log(`\nAPI throughput, ${CONCURRENCY} concurrent clients, at most ${SECONDS} s per operation (list (all) = every LB created)`);
for (const m of measured) {
  const floor = m.results.get('GET / (floor)')!.rps;
  console.log(`\n${m.label} (${m.total} load balancers)`);
  console.log(
    table(
      ['operation', 'req/s', 'median ms', 'p90 ms', 'vs floor'],
      OPS.map((op) => {
        const r = m.results.get(op)!;
        return [op, fmt(r.rps, 0), fmt(r.latency.median, 2), fmt(r.latency.p90, 2), `${fmt(r.rps / floor, 2)}x`];
      }),
    ),
  );
}
const base = measured.find((m) => m.kind === 'pglite');
const others = measured.filter((m) => m !== base);
if (base && others.length) {
  console.log('\nreq/s relative to PGlite (same run)');
  console.log(
    table(
      ['operation', ...others.map((m) => m.label)],
      OPS.map((op) => [op, ...others.map((m) => `${fmt(m.results.get(op)!.rps / base.results.get(op)!.rps, 2)}x`)]),
    ),
  );
}
