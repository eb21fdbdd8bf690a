// A listener's refusal rate from successive heartbeat counts (src/health/refusal-watch.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RefusalWatch } from '../../src/health/refusal-watch.ts';

const report = (refused: number, atMs: number, epoch = 'e1') => ({ listenerId: 'l1', amphoraId: 'a1', epoch, refused, atMs });

test('starts once above the threshold, stops below half of it', () => {
  const w = new RefusalWatch(50);
  assert.equal(w.observe(report(0, 0)), null, 'one report gives no rate');
  assert.equal(w.observe(report(40, 1000)), null, '40/s is below 50/s');
  assert.deepEqual(w.observe(report(140, 2000)), { listenerId: 'l1', amphoraId: 'a1', state: 'started', perSecond: 100 });
  assert.equal(w.observe(report(240, 3000)), null, 'still refusing: no second start');
  assert.equal(w.observe(report(270, 4000)), null, '30/s: above half the threshold, still refusing');
  assert.deepEqual(w.observe(report(280, 5000)), { listenerId: 'l1', amphoraId: 'a1', state: 'stopped', perSecond: 10 });
});

test('a new worker (epoch) counts from its own zero; a repeated or older report gives no rate', () => {
  const w = new RefusalWatch(50);
  w.observe(report(10_000, 0));
  assert.equal(w.observe(report(5, 1000, 'e2')), null, 'a new epoch is not a drop or a jump');
  assert.equal(w.observe(report(5, 1000, 'e2')), null);
  assert.equal(w.observe(report(500, 2000, 'e2'))?.state, 'started');
});
