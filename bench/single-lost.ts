// SINGLE on the netns compute driver (root): the whole amphora lost (its namespace deleted,
// taking haproxy and the VIP address with it) → outage until a replacement serves. A client
// prober opens a new connection to the VIP every 10 ms (each bounded by 250 ms).
//
// BENCH_SL_MODE=auto (default): nobody calls the API. The health manager runs with its
// defaults (heartbeat every 1 s, timeout 3 s, automatic failover on); the agent's next
// heartbeat says the amphora cannot be healed (its namespace is gone) and the health manager
// queues the failover at once. The outage includes that detection.
// BENCH_SL_MODE=operator: each round queues `PUT /v2/lbaas/loadbalancers/{id}/failover` right
// after the deletion, as a detector that noticed instantly would (the failover alone).
//   outage        last success before the deletion → first success after the failures
//   detected      deletion → the failover job exists (auto only)
//   ACTIVE        deletion → the load balancer ACTIVE again on the replacement
//
//   node --import tsx bench/single-lost.ts          (root; BENCH_SL_ROUNDS=10, BENCH_SL_MODE=auto)
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, intFromEnv, stats, table } from './lib.ts';
import { loadNote } from './dataplane-lib.ts';
import { createHttpLb, settleLb, startNetnsBench, type NetnsBench } from './netns-lib.ts';
import { VipProber } from '../src/providers/amphora/vip-prober.ts';
import { drillOutcome } from '../src/providers/amphora/drill-outcome.ts';
import { removeNamespace } from '../src/compute/netns/namespace.ts';
import { namesOfComputeId } from '../src/compute/netns/names.ts';

const ROUNDS = intFromEnv('BENCH_SL_ROUNDS', 10);
const MODE = process.env.BENCH_SL_MODE === 'operator' ? 'operator' : 'auto';
const TARGET_OUTAGE_MS = 3000;
/** Hard bound on the client prober, whatever happens to the rest. */
const PROBE_MAX_MS = 30 * 60_000;
/** Bound on waiting for the health manager to act in one round. */
const DETECT_MAX_MS = 60_000;

let bench: NetnsBench | null = null;
let prober: VipProber | null = null;
let bound: NodeJS.Timeout | null = null;
const outages: number[] = [];
const failed: number[] = [];
const detected: number[] = [];
const active: number[] = [];
let unrecovered = 0;

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

try {
  console.log(`-- start: ${loadNote()}`);
  bench = await startNetnsBench('sl', 'SINGLE', MODE === 'auto' ? { health: true, config: { autoFailover: true } } : {});
  const app = bench.app;
  const db = app.rt.database.db;
  const { lbId, vip } = await createHttpLb(bench);
  console.log(`== SINGLE load balancer ${lbId}, VIP ${vip}:80, netns prefix ${bench.prefix}; ${ROUNDS} rounds; mode ${MODE}`);
  prober = new VipProber({ address: vip, port: 80, http: true });
  prober.start();
  bound = setTimeout(() => void prober?.stop(), PROBE_MAX_MS);
  await sleep(1000);

  for (let round = 0; round < ROUNDS; round++) {
    const amphora = await db.selectFrom('amphora').select(['id', 'compute_id']).where('load_balancer_id', '=', lbId).where('status', '=', 'ALLOCATED').executeTakeFirstOrThrow();
    if (MODE === 'auto') {
      // The health manager judges only amphorae it has heard from serving.
      await until('a heartbeat of the serving amphora', 30_000, async () => (await db.selectFrom('amphora_health').select('haproxy_running').where('amphora_id', '=', amphora.id).executeTakeFirst())?.haproxy_running === true);
    }
    const { netns, veth } = namesOfComputeId(amphora.compute_id!);
    prober.samples.length = 0;
    const lostAt = performance.now();
    await removeNamespace(netns, veth);
    if (MODE === 'operator') {
      const fo = await app.request('PUT', `/v2/lbaas/loadbalancers/${lbId}/failover`);
      if (fo.status !== 202) throw new Error(`failover answered ${fo.status}: ${JSON.stringify(fo.body)}`);
    } else {
      await until('the health manager to queue the failover', DETECT_MAX_MS, async () => !!(await db.selectFrom('job').select('id').where('dedupe_key', '=', `failover:${amphora.id}`).executeTakeFirst())).catch(async (err: Error) => {
        const health = await db.selectFrom('amphora_health').selectAll().where('amphora_id', '=', amphora.id).executeTakeFirst();
        throw new Error(`${err.message}; the amphora's health row: ${JSON.stringify(health)}`);
      });
      detected.push(performance.now() - lostAt);
    }
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
  const d = stats(detected);
  const a = stats(active);
  const title = MODE === 'auto' ? 'SINGLE, namespace deleted, no API call (health manager defaults)' : 'SINGLE, namespace deleted + failover queued at once';
  console.log(
    table(
      [title, 'n', 'median', 'p90', 'min', 'max', 'target'],
      [
        ['outage, client prober (ms)', String(o.n), fmt(o.median, 0), fmt(o.p90, 0), fmt(o.min, 0), fmt(o.max, 0), `< ${TARGET_OUTAGE_MS} incl. detection`],
        ['failed requests', String(f.n), fmt(f.median, 0), fmt(f.p90, 0), fmt(f.min, 0), fmt(f.max, 0), ''],
        ...(MODE === 'auto' ? [['loss → failover queued (ms)', String(d.n), fmt(d.median, 0), fmt(d.p90, 0), fmt(d.min, 0), fmt(d.max, 0), '']] : []),
        ['loss → ACTIVE again (ms)', String(a.n), fmt(a.median, 0), fmt(a.p90, 0), fmt(a.min, 0), fmt(a.max, 0), ''],
      ],
    ),
  );
  const met = outages.filter((ms) => ms < TARGET_OUTAGE_MS).length;
  console.log(`rounds within the target: ${met} of ${outages.length}; unrecovered rounds: ${unrecovered}`);
  console.log(`-- end: ${loadNote()}`);
} finally {
  if (bound) clearTimeout(bound);
  await prober?.stop();
  await bench?.close();
}
