// Epoch-tagged counters: totals grow by the rise within an epoch, a heartbeat seen twice or
// late adds nothing, and a new epoch (a reload, a restart) counts from its own zero.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochIncrement, namedCounters } from '../../src/health/listener-counters.ts';

const c = (n: number) => ({ bytes_in: n, bytes_out: 2 * n, total_connections: n, request_errors: 0, refused_connections: 3 * n, refused_requests: n });
const ZERO = c(0);

test('the first report of an epoch counts everything it served', () => {
  assert.deepEqual(epochIncrement(c(100), ZERO), { increment: c(100), stored: c(100) });
});

test('a later report adds the rise; the same report again adds nothing', () => {
  assert.deepEqual(epochIncrement(c(150), c(100)).increment, c(50));
  assert.deepEqual(epochIncrement(c(150), c(150)).increment, ZERO);
});

test('a late, smaller report of the same epoch adds nothing and lowers nothing', () => {
  assert.deepEqual(epochIncrement(c(120), c(150)), { increment: ZERO, stored: c(150) });
});

test('a heartbeat counter array names its counters; an older agent\'s five leave the refusals at zero', () => {
  assert.deepEqual(namedCounters([1, 2, 3, 4, 5, 6, 7]), { bytes_in: 1, bytes_out: 2, active_connections: 3, total_connections: 4, request_errors: 5, refused_connections: 6, refused_requests: 7 });
  assert.deepEqual(namedCounters([1, 2, 3, 4, 5]), { bytes_in: 1, bytes_out: 2, active_connections: 3, total_connections: 4, request_errors: 5, refused_connections: 0, refused_requests: 0 });
});
