// ACTIVE_STANDBY on the netns compute driver (root): a MASTER's processes killed → outage, and
// the pair whole again. One load balancer (HTTP listener, one member in a namespace) with a
// MASTER/BACKUP pair; a client prober opens a new connection to the VIP every 10 ms (each
// bounded by 250 ms) for the whole run. Each round:
//   drill          POST /v2/fulcrum/loadbalancers/{id}/drill: the agent SIGKILLs keepalived's
//                  and haproxy's process groups in the amphora holding the VIP
//   outage         the client's view, until the drill reports: last success before the
//                  failures → first success to a request sent after the last failure (also the
//                  drill's own prober's figure); client probes failing during the rebuild apart
//   whole again    kill → the load balancer ACTIVE again with two ALLOCATED amphorae, MASTER
//                  and BACKUP, after `PUT /v2/octavia/amphorae/{killed}/failover` (queued by
//                  the bench as soon as the drill reports: the health manager that would queue
//                  it from heartbeats is not part of this build)
// Baseline in the same run: the data-plane measurement's floor for a crash at advert_int 0.1
// is 3 × advert + skew ≈ 0.34 s (keepalived's master-down timer).
//
//   node --import tsx bench/active-standby.ts          (root; BENCH_AS_ROUNDS=10)
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, intFromEnv, stats, table } from './lib.ts';
import { loadNote } from './dataplane-lib.ts';
import type { TestApp } from '../test/helpers/app.ts';
import { createHttpLb, settleLb, startNetnsBench, type NetnsBench } from './netns-lib.ts';
import { VipProber } from '../src/providers/amphora/vip-prober.ts';
import { drillOutcome } from '../src/providers/amphora/drill-outcome.ts';

const ROUNDS = intFromEnv('BENCH_AS_ROUNDS', 10);
const TARGET_OUTAGE_MS = 500;
const TARGET_WHOLE_MS = 60_000;
/** Hard bound on the client prober, whatever happens to the rest. */
const PROBE_MAX_MS = 30 * 60_000;

interface Round {
  outageMs: number | null;
  failed: number;
  drillOutageMs: number | null;
  drillFailed: number | null;
  wholeMs: number;
  /** Client probes that failed while the pair was rebuilt (after the drill, until whole). */
  rebuildFailed: number;
}

let bench: NetnsBench | null = null;
let prober: VipProber | null = null;
let bound: NodeJS.Timeout | null = null;
const rounds: Round[] = [];

async function pairWhole(app: TestApp, lbId: string): Promise<boolean> {
  const amphorae: { role: string; status: string }[] = (await app.request('GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`)).body.amphorae;
  return amphorae.length === 2 && amphorae.every((a) => a.status === 'ALLOCATED') && amphorae.map((a) => a.role).sort().join() === 'BACKUP,MASTER';
}

try {
  console.log(`-- start: ${loadNote()}`);
  bench = await startNetnsBench('as', 'ACTIVE_STANDBY');
  const app = bench.app;
  const { lbId, vip } = await createHttpLb(bench);
  console.log(`== ACTIVE_STANDBY load balancer ${lbId}, VIP ${vip}:80, netns prefix ${bench.prefix}; ${ROUNDS} rounds`);

  prober = new VipProber({ address: vip, port: 80, http: true });
  prober.start();
  bound = setTimeout(() => void prober?.stop(), PROBE_MAX_MS);
  await sleep(1000);

  for (let round = 0; round < ROUNDS; round++) {
    const started = await app.request('POST', `/v2/fulcrum/loadbalancers/${lbId}/drill`);
    if (started.status !== 202) throw new Error(`drill answered ${started.status}: ${JSON.stringify(started.body)}`);
    let drill = started.body.drill;
    while (!['COMPLETE', 'ERROR'].includes(drill.status)) {
      await sleep(50);
      drill = (await app.request('GET', `/v2/fulcrum/loadbalancers/${lbId}/drills/${drill.id}`)).body.drill;
    }
    if (drill.status !== 'COMPLETE') throw new Error(`drill failed: ${JSON.stringify(drill)}`);
    const drillDonePerf = performance.now();
    const killedAtWall = Date.parse(drill.killed_at);
    const fo = await app.request('PUT', `/v2/octavia/amphorae/${drill.amphora_id}/failover`);
    if (fo.status !== 202) throw new Error(`failover answered ${fo.status}: ${JSON.stringify(fo.body)}`);
    await settleLb(app, lbId);
    while (!(await pairWhole(app, lbId))) await sleep(20);
    const wholeMs = Date.now() - killedAtWall;
    // The client's view of the same kill (its clock is this process's performance clock).
    const killedAtPerf = killedAtWall - performance.timeOrigin;
    const seen = drillOutcome(prober.samples.filter((s) => s.sentMs >= killedAtPerf - 1000 && s.doneMs <= drillDonePerf), killedAtPerf);
    const rebuildFailed = prober.samples.filter((s) => s.doneMs > drillDonePerf && !s.ok).length;
    rounds.push({ outageMs: seen.outageMs, failed: seen.failedRequests, drillOutageMs: drill.outage_ms, drillFailed: drill.failed_requests, wholeMs, rebuildFailed });
    prober.samples.length = 0;
    process.stdout.write('.');
    await sleep(500);
  }
  console.log('');
  const num = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
  const outage = stats(num(rounds.map((r) => r.outageMs)));
  const drillOutage = stats(num(rounds.map((r) => r.drillOutageMs)));
  const failed = stats(rounds.map((r) => r.failed));
  const drillFailed = stats(num(rounds.map((r) => r.drillFailed)));
  const whole = stats(rounds.map((r) => r.wholeMs));
  const rebuild = stats(rounds.map((r) => r.rebuildFailed));
  console.log(
    table(
      ['ACTIVE_STANDBY, MASTER killed', 'n', 'median', 'p90', 'min', 'max', 'target'],
      [
        ['outage, client prober (ms)', String(outage.n), fmt(outage.median, 0), fmt(outage.p90, 0), fmt(outage.min, 0), fmt(outage.max, 0), `< ${TARGET_OUTAGE_MS}`],
        ['outage, drill prober (ms)', String(drillOutage.n), fmt(drillOutage.median, 0), fmt(drillOutage.p90, 0), fmt(drillOutage.min, 0), fmt(drillOutage.max, 0), `< ${TARGET_OUTAGE_MS}`],
        ['failed requests, client', String(failed.n), fmt(failed.median, 0), fmt(failed.p90, 0), fmt(failed.min, 0), fmt(failed.max, 0), ''],
        ['failed requests, drill', String(drillFailed.n), fmt(drillFailed.median, 0), fmt(drillFailed.p90, 0), fmt(drillFailed.min, 0), fmt(drillFailed.max, 0), ''],
        ['failed requests, rebuild', String(rebuild.n), fmt(rebuild.median, 0), fmt(rebuild.p90, 0), fmt(rebuild.min, 0), fmt(rebuild.max, 0), '0'],
        ['kill → pair whole again (ms)', String(whole.n), fmt(whole.median, 0), fmt(whole.p90, 0), fmt(whole.min, 0), fmt(whole.max, 0), `< ${TARGET_WHOLE_MS}`],
      ],
    ),
  );
  console.log(`outage / keepalived floor (3 × 0.1 s + skew ≈ 340 ms): ${fmt(outage.median / 340, 2)}×; unrecovered rounds: ${rounds.filter((r) => r.outageMs === null).length}`);
  console.log(`-- end: ${loadNote()}`);
} finally {
  if (bound) clearTimeout(bound);
  await prober?.stop();
  await bench?.close();
}
