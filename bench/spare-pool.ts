// What the spare pool saves, on the amphora provider with the process compute driver (HAProxy
// on loopback VIPs, run by the local agent). Two `fulcrum serve` in the same run, one with
// FULCRUM_SPARE_POOL_SIZE=0 (baseline) and one with a pool, driven alternately so both see the
// same machine load: POST LB → ACTIVE, and LB failover → ACTIVE, each with the pool refilled
// before it. Prints medians and the ratio pool / baseline.
//
//   node --import tsx bench/spare-pool.ts
//   BENCH_SPARE_ROUNDS=15 BENCH_SPARE_POOL=2
import { fmt, intFromEnv, stats, table } from './lib.ts';
import { createLb, deleteLb, startDataplaneServe, waitLbActive, wallNow, loadNote, type DataplaneServe } from './dataplane-lib.ts';

const ROUNDS = intFromEnv('BENCH_SPARE_ROUNDS', 15);
const POOL = intFromEnv('BENCH_SPARE_POOL', 2);

async function poolFull(serve: DataplaneServe, size: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const body = await serve.client.expect(200, 'GET', '/v2/octavia/amphorae?status=READY&fields=id');
    if (body.amphorae.length >= size) return;
    if (Date.now() > deadline) throw new Error(`spare pool not refilled to ${size} after 30 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function round(serve: DataplaneServe, size: number, name: string): Promise<{ create: number; failover: number }> {
  await poolFull(serve, size);
  const t0 = wallNow();
  const lb = await createLb(serve.client, serve.subnetId, name);
  await waitLbActive(serve.client, lb.id);
  const create = wallNow() - t0;
  await poolFull(serve, size);
  const t1 = wallNow();
  await serve.client.expect(202, 'PUT', `/v2/lbaas/loadbalancers/${lb.id}/failover`);
  await waitLbActive(serve.client, lb.id);
  const failover = wallNow() - t1;
  await deleteLb(serve.client, lb.id);
  return { create, failover };
}

const baseline = await startDataplaneServe(4, { FULCRUM_SPARE_POOL_SIZE: '0' });
const pooled = await startDataplaneServe(4, { FULCRUM_SPARE_POOL_SIZE: String(POOL), FULCRUM_SPARE_POOL_CHECK_MS: '100' });
try {
  // The first create of each starts its amphora agent: not measured.
  await round(baseline, 0, 'warm-baseline');
  await round(pooled, POOL, 'warm-pooled');
  const samples = { baseline: { create: [] as number[], failover: [] as number[] }, pooled: { create: [] as number[], failover: [] as number[] } };
  for (let i = 0; i < ROUNDS; i++) {
    for (const [key, serve, size] of [['baseline', baseline, 0], ['pooled', pooled, POOL]] as const) {
      const r = await round(serve, size, `spare-${key}-${i}`);
      samples[key].create.push(r.create);
      samples[key].failover.push(r.failover);
    }
  }
  const rows = (['create', 'failover'] as const).map((what) => {
    const b = stats(samples.baseline[what]);
    const p = stats(samples.pooled[what]);
    return [`${what} → ACTIVE`, fmt(b.median), fmt(p.median), fmt(b.median - p.median), fmt(p.median / b.median, 2)];
  });
  console.log(`spare pool (process compute driver, ${ROUNDS} rounds each, pool of ${POOL}; ${loadNote()})`);
  console.log(table(['operation', 'no pool ms (median)', 'pool ms (median)', 'saved ms', 'pool / no pool'], rows));
} finally {
  await pooled.stop();
  await baseline.stop();
}
