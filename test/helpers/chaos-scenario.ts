// The chaos test itself, for test/e2e/chaos.test.ts (process compute driver) and
// test/e2e/netns-chaos.test.ts (netns): seeded rounds breaking the data plane under probing,
// without waiting for the install to recover in between (a round waits only until what it
// breaks runs again); then every load balancer must serve again, none be pending, and nothing
// be left behind (ChaosInstall.problems).
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AMPHORAE_OF, interruptsService, nextRound, startChaosInstall, VipProber, type ChaosInstall, type ChaosOptions, type ChaosRound } from './chaos.ts';
import { seededRandom, testSeed } from './seeded-random.ts';

/** Polls of a quarter second each: the bound on waiting for the install to settle. */
export const SETTLE_POLLS = 480;

/**
 * The whole test: an install settled and heard by the health manager before the rounds, then
 * `rounds` seeded rounds and the check of the end state; probers and install stopped after.
 */
export function describeChaos(title: string, name: string, options: ChaosOptions, rounds: number): void {
  describe(title, () => {
    let install: ChaosInstall;
    const probers: VipProber[] = [];

    before(async () => {
      // The default heartbeat interval and timeout: an agent restart silences every amphora of
      // the host at once, which the health manager must take for a host event, not for amphorae
      // to fail over (src/health/host-silence.ts).
      install = await startChaosInstall(name, options);
      await install.settle(SETTLE_POLLS);
      await install.heard(SETTLE_POLLS);
    });

    after(async () => {
      for (const p of probers) await p.stop();
      await install?.close();
    });

    test('every load balancer serves again, none is pending, nothing is left behind', async (t) => {
      await runChaos(t, install, rounds, testSeed(), probers);
    });
  });
}

/** Starts the install's probers, runs `rounds` seeded rounds, and checks the end state. */
async function runChaos(t: TestContext, install: ChaosInstall, rounds: number, seed: number, probers: VipProber[]): Promise<void> {
  const random = seededRandom(seed);
  t.diagnostic(`seed ${seed} (replay with FULCRUM_TEST_SEED=${seed})`);
  assert.deepEqual(await install.problems(), [], 'consistent before the rounds');
  const before = new Set((await install.amphorae()).map((a) => a.id));
  for (const lb of install.lbs) probers.push(new VipProber(lb, 20, 500, 10 * 60_000));
  const log: string[] = [];
  const played: ChaosRound[] = [];
  const start = Date.now();
  for (let r = 0; r < rounds; r++) {
    const round = nextRound(install, random);
    const what = await install.inflict(round.kind, round.victim, round.pick);
    played.push(round);
    log.push(`round ${r} at ${Date.now() - start} ms: ${round.kind}: ${what}; next in ${round.pauseMs} ms`);
    t.diagnostic(log.at(-1)!);
    await sleep(round.pauseMs);
  }
  const end = Date.now();
  /** What serve logged about its agent and its failovers, for a failure's message. */
  const serveLines = () =>
    install.serve
      .output()
      .split('\n')
      .filter((l) => l.includes('local amphora agent') || l.includes('failover'))
      .slice(-20)
      .join('\n');
  /** The jobs that failed, with their last error. */
  const failedJobs = async () => {
    const res = await install.call('GET', '/v2/fulcrum/jobs?limit=1000').catch(() => null);
    const jobs = (res?.body?.jobs ?? []) as { id: string; state: string; load_balancer_id: string; last_error: string | null; operation?: { action?: string } }[];
    return jobs
      .filter((j) => j.state === 'failed')
      .map((j) => `job ${j.id} (${j.operation?.action ?? '?'}, LB ${j.load_balancer_id}) failed: ${j.last_error}`)
      .join('\n');
  };
  /** What the agent logged about supervising its daemons (restarts, failures, give-ups). */
  const agentLines = () => {
    try {
      return readFileSync(join(install.agentDir, 'agent.log'), 'utf8')
        .split('\n')
        .filter((l) => /supervis|restart|exited|gave up|give up|remov|delet/i.test(l))
        .slice(-30)
        .join('\n');
    } catch {
      return '';
    }
  };
  await install.settle(SETTLE_POLLS).catch(async (err: Error) => assert.fail(`seed ${seed}: ${err.message}\n${log.join('\n')}\n${await failedJobs()}\n${serveLines()}\n${agentLines()}`));
  for (const p of probers) {
    const { failed, outageMs } = p.outage(0, end);
    const runs = p.failures(start, Date.now()).map((f) => `${f.from - start}-${f.to - start} ms (${f.failed})`);
    t.diagnostic(`${p.lb.url} (${p.lb.topology}): ${failed} failed requests of ${p.samples.length}, first outage ${outageMs} ms; failures at ${runs.join(', ') || 'none'}`);
  }
  // The probers saw the failures: the rounds did hit the data plane.
  if (played.some(interruptsService)) assert.ok(probers.some((p) => p.outage(0, end).failed > 0), `no prober saw a failure: ${log.join('\n')}`);
  // What a failover retired while the agent was down (its run directory, its processes) goes at
  // the next agent sync (every 5 s): leftovers get a bounded wait, the rest must already hold.
  let problems = await install.problems();
  for (let i = 0; i < 30 && problems.length > 0 && problems.every((p) => p.includes('is not live')); i++) {
    await sleep(500);
    problems = await install.problems();
  }
  assert.deepEqual(problems, [], `seed ${seed}:\n${log.join('\n')}\n${install.serve.output().split('\n').slice(-30).join('\n')}\n${agentLines()}`);
  const amphorae = await install.amphorae();
  assert.equal(amphorae.length, install.lbs.reduce((n, lb) => n + AMPHORAE_OF[lb.topology], 0), 'no amphora beyond the load balancers\' own');
  t.diagnostic(`${amphorae.filter((a) => !before.has(a.id)).length} amphorae replaced by failovers`);
  assert.equal(log.filter((l) => l.includes('nothing of kind')).length, 0, `every round broke something:\n${log.join('\n')}\n${serveLines()}`);
}
