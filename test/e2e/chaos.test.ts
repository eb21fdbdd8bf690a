// Chaos on the local data plane: a real `fulcrum serve` (process compute driver, real HAProxy on
// loopback VIPs, signed heartbeats and automatic failover on) with three load balancers, a prober
// on every VIP, and a few rounds each killing at random one amphora's HAProxy (master and
// workers, kill -9), the agent, or the agent and every HAProxy, without waiting for the install
// to recover in between (a round waits only until what it kills runs again). Afterwards every load balancer is ACTIVE and serves, each has exactly
// one ALLOCATED amphora, one agent runs, every amphora has one HAProxy master, and no process or
// run directory of a replaced amphora is left. The rounds are seeded: the seed is reported, and
//   FULCRUM_TEST_SEED=<seed> node --import tsx --test test/e2e/chaos.test.ts
// replays them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FAILURE_KINDS, startChaosInstall, VipProber, type ChaosInstall } from '../helpers/chaos.ts';
import { seededRandom, testSeed } from '../helpers/seeded-random.ts';

const LBS = 3;
const ROUNDS = 6;
/** Polls of a quarter second each: the bound on waiting for the install to settle. */
const SETTLE_POLLS = 480;

describe('chaos: random data-plane failures under probing', () => {
  const seed = testSeed();
  const random = seededRandom(seed);
  let install: ChaosInstall;
  const probers: VipProber[] = [];

  before(async () => {
    // The default heartbeat interval and timeout: an agent restart silences every amphora of the
    // host at once, which the health manager must take for a host event, not for amphorae to
    // fail over (src/health/host-silence.ts).
    install = await startChaosInstall('chaos', LBS);
    await install.settle(SETTLE_POLLS);
    await install.heard(SETTLE_POLLS);
  });

  after(async () => {
    for (const p of probers) await p.stop();
    await install?.close();
  });

  /** What serve logged about its agent: the watchdog's restarts and their failures. */
  const agentLines = () => install.serve.output().split('\n').filter((l) => l.includes('local amphora agent')).slice(-20).join('\n');

  test('every load balancer serves again, none is pending, nothing is left behind', async (t) => {
    t.diagnostic(`seed ${seed} (replay with FULCRUM_TEST_SEED=${seed})`);
    assert.deepEqual(await install.problems(), [], 'consistent before the rounds');
    const before = new Set((await install.amphorae()).map((a) => a.id));
    for (const lb of install.lbs) probers.push(new VipProber(lb, 20, 500, 10 * 60_000));
    const log: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const kind = FAILURE_KINDS[Math.floor(random() * FAILURE_KINDS.length)];
      const victim = install.lbs[Math.floor(random() * install.lbs.length)];
      const pauseMs = 200 + Math.floor(random() * 1800);
      const what = await install.inflict(kind, victim);
      log.push(`round ${round}: ${kind}: ${what}; next in ${pauseMs} ms`);
      t.diagnostic(log.at(-1)!);
      await sleep(pauseMs);
    }
    const end = Date.now();
    await install.settle(SETTLE_POLLS).catch((err: Error) => assert.fail(`seed ${seed}: ${err.message}\n${log.join('\n')}\n${agentLines()}`));
    for (const p of probers) {
      const { failed, outageMs } = p.outage(0, end);
      t.diagnostic(`${p.lb.url}: ${failed} failed requests of ${p.samples.length}, first outage ${outageMs} ms`);
    }
    // The probers saw the failures: the rounds did hit the data plane.
    assert.ok(probers.some((p) => p.outage(0, end).failed > 0), `no prober saw a failure: ${log.join('\n')}`);
    const problems = await install.problems();
    assert.deepEqual(problems, [], `seed ${seed}:\n${log.join('\n')}\n${install.serve.output().split('\n').slice(-30).join('\n')}`);
    const amphorae = await install.amphorae();
    assert.equal(amphorae.length, install.lbs.length);
    t.diagnostic(`${amphorae.filter((a) => !before.has(a.id)).length} amphorae replaced by failovers`);
    assert.equal(log.filter((l) => l.includes('nothing of kind')).length, 0, `every round killed something:\n${log.join('\n')}\n${agentLines()}`);
  });
});
