// The figures of a failover drill from its prober's samples: outage from the last success before
// the failures to the first success of a request sent after the last one, failures counted
// from the kill, a drill that never recovers, one that saw no failure, and when it has seen enough.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drillOutcome, drillSettled, type ProbeSample } from '../../src/providers/amphora/drill-outcome.ts';

/** A probe every 10 ms from `from` to `to`, each taking 2 ms; `ok(t)` says whether the one sent at t succeeded. */
function probes(from: number, to: number, ok: (t: number) => boolean): ProbeSample[] {
  const samples: ProbeSample[] = [];
  for (let t = from; t < to; t += 10) samples.push({ sentMs: t, doneMs: t + 2, ok: ok(t) });
  return samples;
}

test('outage spans the failures, from the last success before to the first success after', () => {
  const samples = probes(0, 2000, (t) => t < 1000 || t >= 1350);
  const outcome = drillOutcome(samples, 995);
  assert.equal(outcome.failedRequests, 35);
  assert.equal(outcome.outageMs, 1352 - 995, 'from the kill: the last success came just before it');
  assert.equal(outcome.recovered, true);
  assert.equal(outcome.recoveredAfterMs, 1352 - 995);
  assert.equal(outcome.probes, samples.filter((s) => s.doneMs >= 995).length);
});

test('a success in the middle of the failures does not end the outage', () => {
  const outcome = drillOutcome(probes(0, 2000, (t) => t < 1000 || t === 1100 || t >= 1300), 1000);
  assert.equal(outcome.failedRequests, 29);
  assert.equal(outcome.outageMs, 1302 - 1000);
});

test("failures before the kill are not the drill's", () => {
  const outcome = drillOutcome(probes(0, 2000, (t) => t !== 500), 1000);
  assert.deepEqual(outcome, { outageMs: 0, failedRequests: 0, probes: 100, recovered: true, recoveredAfterMs: 0 });
});

test('no success after the failures: not recovered, no outage figure', () => {
  const outcome = drillOutcome(probes(0, 2000, (t) => t < 1000), 1000);
  assert.equal(outcome.recovered, false);
  assert.equal(outcome.outageMs, null);
  assert.equal(outcome.recoveredAfterMs, null);
  assert.equal(outcome.failedRequests, 100);
});

test('settled: observed long enough after the kill, then only successes for the settle time', () => {
  const options = { minObserveMs: 1000, settleMs: 500 };
  const samples = probes(0, 3000, (t) => t < 1000 || t >= 1300);
  assert.equal(drillSettled(samples.filter((s) => s.doneMs <= 1900), 1000, 1900, options), false, 'too soon after the kill');
  assert.equal(drillSettled(samples.filter((s) => s.doneMs <= 2100), 1000, 2100, options), true);
  const failing = probes(0, 3000, (t) => t < 1000);
  assert.equal(drillSettled(failing, 1000, 3000, options), false, 'still failing');
  assert.equal(drillSettled([], 1000, 3000, options), false, 'nothing heard');
});
