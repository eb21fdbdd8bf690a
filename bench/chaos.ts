// Chaos under load, the long version of test/e2e/chaos.test.ts and test/e2e/netns-chaos.test.ts:
// a real `fulcrum serve` (heartbeats and automatic failover on with their default interval and
// timeout), BENCH_CHAOS_LBS load balancers, a prober per VIP (a request every 10 ms, new
// connection, 500 ms timeout) and BENCH_CHAOS_LOAD back-to-back clients per VIP as load.
// BENCH_CHAOS_DRIVER=process (default): real HAProxy on loopback VIPs, SINGLE load balancers;
// rounds kill an amphora's HAProxy (master and workers, kill -9), the agent, or the agent and
// every HAProxy. BENCH_CHAOS_DRIVER=netns (root): a namespace per amphora, SINGLE and
// ACTIVE_STANDBY load balancers alternating; rounds kill an amphora's HAProxy or keepalived, the
// agent, or delete an amphora's namespace. BENCH_CHAOS_ROUNDS seeded rounds; after each the
// round waits until every VIP answered again (bounded), then a random pause of 0.2-2 s.
// Per failure kind and topology of the victim: the outage the probers saw (first failed request
// after the kill → the next success, the longest over the VIPs) and the requests that failed
// (probers and load). At the end, the consistency check of the chaos test (ChaosInstall.problems).
//
//   node --import tsx bench/chaos.ts
//   BENCH_CHAOS_DRIVER=process BENCH_CHAOS_ROUNDS=30 BENCH_CHAOS_LBS=3 (netns: 4) BENCH_CHAOS_LOAD=2
//   FULCRUM_TEST_SEED=<seed>
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, intFromEnv, stats, table } from './lib.ts';
import { loadNote } from './dataplane-lib.ts';
import { nextRound, startChaosInstall, VipProber, type ChaosRound, type Topology } from '../test/helpers/chaos.ts';
import { seededRandom, testSeed } from '../test/helpers/seeded-random.ts';

const DRIVER = process.env.BENCH_CHAOS_DRIVER === 'netns' ? 'netns' : 'process';
const ROUNDS = intFromEnv('BENCH_CHAOS_ROUNDS', 30);
const LBS = intFromEnv('BENCH_CHAOS_LBS', DRIVER === 'netns' ? 4 : 3);
const TOPOLOGIES: Topology[] = Array.from({ length: LBS }, (_, i) => (DRIVER === 'netns' && i % 2 === 1 ? 'ACTIVE_STANDBY' : 'SINGLE'));
const LOAD = intFromEnv('BENCH_CHAOS_LOAD', 2);
const PROBE_EVERY_MS = 10;
const PROBE_TIMEOUT_MS = 500;
/** Polls of a quarter second: the bound on one round's recovery and on the final settle. */
const SETTLE_POLLS = 480;

async function main(): Promise<void> {
  const seed = testSeed();
  const random = seededRandom(seed);
  const install = await startChaosInstall('bench-chaos', { driver: DRIVER, topologies: TOPOLOGIES });
  const probers: VipProber[] = [];
  const load: VipProber[] = [];
  try {
    await install.settle(SETTLE_POLLS);
    await install.heard(SETTLE_POLLS);
    const boundMs = ROUNDS * 120_000;
    for (const lb of install.lbs) probers.push(new VipProber(lb, PROBE_EVERY_MS, PROBE_TIMEOUT_MS, boundMs));
    for (const lb of install.lbs) for (let i = 0; i < LOAD; i++) load.push(new VipProber(lb, 0, PROBE_TIMEOUT_MS, boundMs));
    const amphoraeBefore = new Set((await install.amphorae()).map((a) => a.id));
    console.log(`chaos (${DRIVER} compute driver): seed ${seed} (replay with FULCRUM_TEST_SEED=${seed}), ${ROUNDS} rounds, ${LBS} load balancers (${TOPOLOGIES.join(', ')}), a prober per VIP every ${PROBE_EVERY_MS} ms and ${LOAD} load clients per VIP; ${loadNote()}`);

    const rounds: (ChaosRound & { at: number; what: string })[] = [];
    const unrecovered: string[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round = nextRound(install, random);
      const what = await install.inflict(round.kind, round.victim, round.pick);
      rounds.push({ ...round, at: Date.now(), what });
      const back = await recovered(probers, rounds.at(-1)!.at);
      if (!back) unrecovered.push(`round ${r} (${round.kind}): ${what}`);
      await sleep(round.pauseMs);
    }
    const end = Date.now();
    const settled = await install.settle(SETTLE_POLLS).then(
      () => 'every LB ACTIVE and serving',
      (err: Error) => `NOT SETTLED: ${err.message}`,
    );

    const rows: string[][] = [];
    // The victim's topology matters where the round hits one load balancer's amphora, and in a
    // pair whether that amphora was the MASTER (inflict names its role).
    const groupOf = (round: ChaosRound & { what: string }) => {
      if (round.kind.startsWith('agent')) return round.kind;
      const role = round.victim.topology === 'ACTIVE_STANDBY' ? / \((MASTER|BACKUP), LB /.exec(round.what)?.[1] : null;
      return `${round.kind}, ${round.victim.topology}${role ? ` ${role}` : ''}`;
    };
    const groups = [...new Set(rounds.map(groupOf))].sort();
    for (const group of groups) {
      const outage: number[] = [];
      const failed: number[] = [];
      rounds.forEach((round, i) => {
        if (groupOf(round) !== group || round.what.startsWith('nothing')) return;
        const to = rounds[i + 1]?.at ?? end;
        outage.push(Math.max(...probers.map((p) => p.outage(round.at, to).outageMs)));
        failed.push([...probers, ...load].reduce((sum, p) => sum + p.outage(round.at, to).failed, 0));
      });
      const o = stats(outage);
      const f = stats(failed);
      rows.push([group, String(o.n), fmt(o.median), fmt(o.p90), fmt(o.max), fmt(f.median, 0), fmt(f.p90, 0), String(failed.reduce((a, b) => a + b, 0))]);
    }
    // The slow rounds, with what the round before them did: a failure on top of one not healed yet.
    rounds.forEach((round, i) => {
      const to = rounds[i + 1]?.at ?? end;
      const outageMs = Math.max(...probers.map((p) => p.outage(round.at, to).outageMs));
      if (outageMs > 1000) console.log(`slow round ${i} (${outageMs} ms): ${round.kind}: ${round.what}; before it: ${rounds[i - 1]?.kind ?? 'none'}`);
    });
    console.log(table(['failure', 'rounds', 'outage median ms', 'p90', 'max', 'failed req median', 'p90', 'total'], rows));
    const total = [...probers, ...load].reduce((sum, p) => sum + p.samples.length, 0);
    const failedTotal = [...probers, ...load].reduce((sum, p) => sum + p.samples.filter((s) => !s.ok).length, 0);
    console.log(`requests: ${total}, failed ${failedTotal}`);
    const live = await install.amphorae();
    console.log(`amphorae replaced by failovers: ${live.filter((a) => !amphoraeBefore.has(a.id)).length}`);
    const skipped = rounds.filter((r) => r.what.startsWith('nothing'));
    if (skipped.length > 0) console.log(`rounds with nothing to kill: ${skipped.length}`);
    for (const line of unrecovered) console.log(`not recovered before the next round: ${line}`);
    // Why an outage ran long: the watchdog's failed agent starts, by their message.
    const failedStarts = new Map<string, number>();
    for (const line of install.serve.output().split('\n')) {
      if (!line.includes('cannot start the local amphora agent')) continue;
      const message = String((JSON.parse(line) as { err?: { message?: string } }).err?.message ?? '').replace(/\d+/g, 'N');
      failedStarts.set(message, (failedStarts.get(message) ?? 0) + 1);
    }
    for (const [message, n] of failedStarts) console.log(`watchdog: ${n} failed agent start(s): ${message}`);
    // Automatic failovers, and how the rounds before them went: none should be needed here.
    for (const line of install.serve.output().split('\n')) {
      if (!line.includes('automatic failover started') && !line.includes('flow failed and was reverted') && !line.includes('flow step failed')) continue;
      const entry = JSON.parse(line) as { time: number; msg: string; reason?: string; err?: string; amphora_id?: string };
      const round = rounds.filter((r) => r.at <= entry.time).length - 1;
      console.log(`serve, ${entry.time - (rounds[round]?.at ?? entry.time)} ms into round ${round}: ${entry.msg}: ${entry.amphora_id ?? ''} ${entry.reason ?? entry.err ?? ''}`.slice(0, 400));
    }
    const problems = await install.problems();
    console.log(`final: ${settled}; consistency: ${problems.length === 0 ? 'OK (none pending, every LB with its whole set of ALLOCATED amphorae, one agent, each daemon once per amphora, no orphan)' : problems.join('; ')}`);
    if (problems.length > 0 || settled.startsWith('NOT')) {
      // For the report: what serve logged about the load balancers left wrong.
      const wrong = install.lbs.filter((lb) => problems.some((p) => p.includes(lb.id)) || settled.includes(lb.id));
      const lines = install.serve.output().split('\n').filter((l) => wrong.some((lb) => l.includes(lb.id)) && /"level":(40|50|60)/.test(l));
      for (const line of lines.slice(-15)) console.log(`serve: ${line.slice(0, 600)}`);
      process.exitCode = 1;
    }
  } finally {
    for (const p of [...probers, ...load]) await p.stop();
    await install.close();
  }
}

/** Waits (bounded) until every prober had a success after a failure after `t`, or never failed
 * since `t` for a while; false when the bound passed. */
async function recovered(probers: VipProber[], t: number): Promise<boolean> {
  for (let i = 0; i < SETTLE_POLLS * 5; i++) {
    const now = Date.now();
    const ok = probers.every((p) => {
      const window = p.samples.filter((s) => s.at >= t);
      const firstBad = window.findIndex((s) => !s.ok);
      // Unaffected VIPs count once they answered a second after the kill.
      if (firstBad < 0) return now - t > 1000 && window.length > 0;
      return window.slice(firstBad).some((s) => s.ok);
    });
    if (ok) return true;
    await sleep(50);
  }
  return false;
}

await main();
