// SINGLE on the netns compute driver (root): the whole amphora lost (its namespace deleted,
// taking haproxy and the VIP address with it) → outage until a replacement serves. A client
// prober opens a new connection to the VIP every 10 ms (each bounded by 250 ms). Each round
// deletes the amphora's namespace and queues `PUT /v2/lbaas/loadbalancers/{id}/failover` at
// once, as a detector that noticed instantly would: the health manager that notices from
// heartbeats (its timeout, default 3 s, comes on top) is not part of this build.
//   outage        last success before the deletion → first success after the failures
//   ACTIVE        deletion → the load balancer ACTIVE again on the replacement
//
//   node --import tsx bench/single-lost.ts          (root; BENCH_SL_ROUNDS=10)
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, intFromEnv, stats, table } from './lib.ts';
import { loadNote } from './dataplane-lib.ts';
import { createHttpLb, settleLb, startNetnsBench, type NetnsBench } from './netns-lib.ts';
import { VipProber } from '../src/providers/amphora/vip-prober.ts';
import { drillOutcome } from '../src/providers/amphora/drill-outcome.ts';
import { removeNamespace } from '../src/compute/netns/namespace.ts';
import { namesOfComputeId } from '../src/compute/netns/names.ts';

const ROUNDS = intFromEnv('BENCH_SL_ROUNDS', 10);
const TARGET_OUTAGE_MS = 3000;
/** Hard bound on the client prober, whatever happens to the rest. */
const PROBE_MAX_MS = 30 * 60_000;

let bench: NetnsBench | null = null;
let prober: VipProber | null = null;
let bound: NodeJS.Timeout | null = null;
const outages: number[] = [];
const failed: number[] = [];
const active: number[] = [];
let unrecovered = 0;

try {
  console.log(`-- start: ${loadNote()}`);
  bench = await startNetnsBench('sl', 'SINGLE');
  const app = bench.app;
  const { lbId, vip } = await createHttpLb(bench);
  console.log(`== SINGLE load balancer ${lbId}, VIP ${vip}:80, netns prefix ${bench.prefix}; ${ROUNDS} rounds`);
  prober = new VipProber({ address: vip, port: 80, http: true });
  prober.start();
  bound = setTimeout(() => void prober?.stop(), PROBE_MAX_MS);
  await sleep(1000);

  for (let round = 0; round < ROUNDS; round++) {
    const amphora = await app.rt.database.db.selectFrom('amphora').select(['compute_id']).where('load_balancer_id', '=', lbId).where('status', '=', 'ALLOCATED').executeTakeFirstOrThrow();
    const { netns, veth } = namesOfComputeId(amphora.compute_id!);
    prober.samples.length = 0;
    const lostAt = performance.now();
    await removeNamespace(netns, veth);
    const fo = await app.request('PUT', `/v2/lbaas/loadbalancers/${lbId}/failover`);
    if (fo.status !== 202) throw new Error(`failover answered ${fo.status}: ${JSON.stringify(fo.body)}`);
    await settleLb(app, lbId);
    active.push(performance.now() - lostAt);
    await sleep(1500);
    const seen = drillOutcome(prober.samples, lostAt);
    if (seen.outageMs === null) unrecovered++;
    else outages.push(seen.outageMs);
    failed.push(seen.failedRequests);
    process.stdout.write('.');
  }
  console.log('');
  const o = stats(outages);
  const f = stats(failed);
  const a = stats(active);
  console.log(
    table(
      ['SINGLE, namespace deleted + failover queued at once', 'n', 'median', 'p90', 'min', 'max', 'target'],
      [
        ['outage, client prober (ms)', String(o.n), fmt(o.median, 0), fmt(o.p90, 0), fmt(o.min, 0), fmt(o.max, 0), `< ${TARGET_OUTAGE_MS} incl. detection`],
        ['failed requests', String(f.n), fmt(f.median, 0), fmt(f.p90, 0), fmt(f.min, 0), fmt(f.max, 0), ''],
        ['loss → ACTIVE again (ms)', String(a.n), fmt(a.median, 0), fmt(a.p90, 0), fmt(a.min, 0), fmt(a.max, 0), ''],
      ],
    ),
  );
  console.log(`budget left for detection within the target: ${fmt(TARGET_OUTAGE_MS - o.median, 0)} ms; unrecovered rounds: ${unrecovered}`);
  console.log(`-- end: ${loadNote()}`);
} finally {
  if (bound) clearTimeout(bound);
  await prober?.stop();
  await bench?.close();
}
