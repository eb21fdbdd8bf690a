// The dashboard's traffic graphs: running totals from the stats call become per-second rates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendSample, emptySeries, latest, type LbStats } from '../../src/ui/rates.ts';

const stats = (total: number, bytesIn: number, active = 0, errors = 0): LbStats => ({
  total_connections: total,
  bytes_in: bytesIn,
  bytes_out: bytesIn * 2,
  active_connections: active,
  request_errors: errors,
});

test('rates are the change between two polls divided by the seconds between them', () => {
  const s = appendSample(emptySeries(), { at: 10_000, stats: stats(100, 1000) }, { at: 12_000, stats: stats(140, 3000, 3, 2) }, 10);
  assert.deepEqual(s.time, [12]);
  assert.deepEqual(s.connectionsPerSecond, [20]);
  assert.deepEqual(s.bytesInPerSecond, [1000]);
  assert.deepEqual(s.bytesOutPerSecond, [2000]);
  assert.deepEqual(s.errorsPerSecond, [1]);
  assert.deepEqual(s.activeConnections, [3], 'active connections is a gauge, plotted as it is');
});

test('a total that went down (a new amphora counting from zero) gives no rate, not a negative one', () => {
  const s = appendSample(emptySeries(), { at: 0, stats: stats(500, 9000) }, { at: 1000, stats: stats(4, 100) }, 10);
  assert.deepEqual(s.connectionsPerSecond, [null]);
  assert.deepEqual(s.bytesInPerSecond, [null]);
});

test('two polls at the same instant give no rate', () => {
  const s = appendSample(emptySeries(), { at: 5000, stats: stats(1, 1) }, { at: 5000, stats: stats(2, 2) }, 10);
  assert.deepEqual(s.connectionsPerSecond, [null]);
});

test('the series keeps only the newest points', () => {
  let s = emptySeries();
  for (let i = 1; i <= 5; i++) s = appendSample(s, { at: (i - 1) * 1000, stats: stats(i - 1, 0) }, { at: i * 1000, stats: stats(i * i, 0) }, 3);
  assert.deepEqual(s.time, [3, 4, 5]);
  assert.equal(s.connectionsPerSecond.length, 3);
});

test('the latest rate skips gaps and is 0 before there is one', () => {
  assert.equal(latest([]), 0);
  assert.equal(latest([null]), 0);
  assert.equal(latest([4, 7, null]), 7);
});
