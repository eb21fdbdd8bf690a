// HAProxy's frontend counters restart at zero with every reload; stored totals must only grow
// by what was served since the previous poll.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counterIncrement, type ListenerCounters } from '../../src/health/listener-counters.ts';

const counters = (total: number, bytes: number, active = 0, errors = 0): ListenerCounters => ({
  bytes_in: bytes,
  bytes_out: bytes * 2,
  active_connections: active,
  total_connections: total,
  request_errors: errors,
});

test('between two polls the increment is the difference; active connections are the current value', () => {
  assert.deepEqual(counterIncrement(counters(15, 1500, 3, 1), counters(10, 1000, 7, 1), true), counters(5, 500, 3, 0));
});

test('after a reload (a counter went down) everything reported counts', () => {
  assert.deepEqual(counterIncrement(counters(4, 400, 1), counters(10, 1000), true), counters(4, 400, 1));
});

test('first sight: a new listener counts everything; a stored one (health manager restarted) counts nothing yet', () => {
  assert.deepEqual(counterIncrement(counters(8, 800, 2), undefined, false), counters(8, 800, 2));
  assert.deepEqual(counterIncrement(counters(8, 800, 2), undefined, true), counters(0, 0, 2));
});
