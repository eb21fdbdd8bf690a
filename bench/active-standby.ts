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
// Then only HAProxy dies: its process group in the amphora holding the VIP is SIGKILLed, in
// alternate rounds with the agent alive (keepalived hears it from the track file the agent
// writes; the baseline) and with the agent SIGKILLed just before (keepalived's own check,
// src/agent/haproxy-alive.sh, once a second). Measured: kill → the first answered client probe
// sent after the last failed one (served by the other amphora). The agent is then started again the way the
// controller starts it, and the pair is whole once the amphora that lost HAProxy is BACKUP again
// (its agent restarted HAProxy; no failover). The controller's agent watchdog is off, so nothing
// but the next round starts a killed agent.
//
//   node --import tsx bench/active-standby.ts          (root; BENCH_AS_ROUNDS=10, BENCH_AS_HAPROXY_ROUNDS=10 of each kind)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, intFromEnv, stats, table } from './lib.ts';
import { loadNote } from './dataplane-lib.ts';
import type { TestApp } from '../test/helpers/app.ts';
import { addresses } from '../test/helpers/netns-app.ts';
import { createHttpLb, settleLb, startNetnsBench, type NetnsBench } from './netns-lib.ts';
import { VipProber } from '../src/providers/amphora/vip-prober.ts';
import { drillOutcome, drillSettled } from '../src/providers/amphora/drill-outcome.ts';
import { pidRunning } from '../src/agent/process-table.ts';
import { openRuntime } from '../src/runtime.ts';

const ROUNDS = intFromEnv('BENCH_AS_ROUNDS', 10);
const HAPROXY_ROUNDS = intFromEnv('BENCH_AS_HAPROXY_ROUNDS', 10);
/** A round that has not recovered by then is reported as a failure of the bench. */
const ROUND_MAX_MS = 30_000;
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

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + ROUND_MAX_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${ROUND_MAX_MS} ms`);
    await sleep(20);
  }
}

/** As the controller does on its first use of the data plane: start this host's agent (it brings back its amphorae). */
async function startAgent(app: TestApp): Promise<void> {
  const rt = await openRuntime({ ...app.rt.config, localAgentWatchMs: 0 }, { migrate: false, database: app.rt.database, log: app.rt.log });
  await rt.dataPlane.compute();
  await rt.closeDataPlane();
}

/** kill → served again, in ms, for each kind of round. */
async function haproxyKilledRounds(b: NetnsBench, lbId: string, vip: string, probe: VipProber): Promise<{ agentAlive: number[]; agentDead: number[] }> {
  const out = { agentAlive: [] as number[], agentDead: [] as number[] };
  const agentPidFile = join(b.dataDir, 'agent', 'agent.pid');
  const pair = await b.app.rt.database.db.selectFrom('amphora').select(['netns', 'run_dir']).where('load_balancer_id', '=', lbId).where('status', '=', 'ALLOCATED').execute();
  const vrrpState = (a: (typeof pair)[number]) => readFileSync(join(a.run_dir!, 'vrrp.state'), 'utf8').trim();
  for (let round = 0; round < 2 * HAPROXY_ROUNDS; round++) {
    const agentDead = round % 2 === 1;
    let holder: (typeof pair)[number] | undefined;
    for (const a of pair) if ((await addresses(a.netns!)).includes(vip)) holder = a;
    const other = pair.find((a) => a !== holder);
    if (!holder || !other) throw new Error('no amphora holds the VIP');
    if (agentDead) {
      const agent = Number(readFileSync(agentPidFile, 'utf8'));
      process.kill(agent, 'SIGKILL');
      await until('agent exit', () => !pidRunning(agent));
    }
    const haproxy = Number(readFileSync(join(holder.run_dir!, 'haproxy.pid'), 'utf8'));
    const killedAt = performance.now();
    process.kill(-haproxy, 'SIGKILL');
    await until('second of answers after the kill', () => drillSettled(probe.samples, killedAt, performance.now(), { minObserveMs: 1000, settleMs: 1000 }));
    const seen = drillOutcome(probe.samples, killedAt);
    if (seen.recoveredAfterMs === null) throw new Error('the VIP did not serve again');
    (agentDead ? out.agentDead : out.agentAlive).push(seen.recoveredAfterMs);
    if (agentDead) await startAgent(b.app);
    await until('pair whole again', () => vrrpState(holder) === 'BACKUP' && vrrpState(other) === 'MASTER');
    probe.samples.length = 0;
    process.stdout.write('.');
    await sleep(500);
  }
  console.log('');
  return out;
}

try {
  console.log(`-- start: ${loadNote()}`);
  // No agent watchdog: the HAProxy rounds kill the agent, and only they start it again.
  bench = await startNetnsBench('as', 'ACTIVE_STANDBY', { config: { localAgentWatchMs: 0 } });
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

  console.log(`== HAProxy of the VIP holder SIGKILLed: ${HAPROXY_ROUNDS} rounds with the agent alive, ${HAPROXY_ROUNDS} with it killed first`);
  const killed = await haproxyKilledRounds(bench, lbId, vip, prober);
  const alive = stats(killed.agentAlive);
  const dead = stats(killed.agentDead);
  const row = (label: string, x: ReturnType<typeof stats>) => [label, String(x.n), fmt(x.median, 0), fmt(x.p90, 0), fmt(x.min, 0), fmt(x.max, 0)];
  console.log(
    table(
      ['HAProxy killed → the other amphora answers (ms)', 'n', 'median', 'p90', 'min', 'max'],
      [row('agent alive: track file', alive), row('agent dead: vrrp_script (interval 1 s, fall 2)', dead)],
    ),
  );
  console.log(`agent dead / agent alive (baseline, same run): ${fmt(dead.median / alive.median, 1)}×`);
  console.log(`-- end: ${loadNote()}`);
} finally {
  if (bound) clearTimeout(bound);
  await prober?.stop();
  await bench?.close();
}
