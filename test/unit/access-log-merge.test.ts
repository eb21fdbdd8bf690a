// An ACTIVE_STANDBY load balancer's log is both amphorae's lines merged by time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeByTime } from '../../src/providers/amphora/access-logs.ts';

const line = (amphora: string, seq: number, time: string) => ({ time, amphora_id: amphora, listener_id: 'l', message: `${amphora}#${seq}`, seq });

test('lines of two amphorae interleave by time; equal times keep amphora and sequence order; the newest `limit` are kept', () => {
  const master = [line('a', 1, '2026-12-06T00:00:01.000Z'), line('a', 2, '2026-12-06T00:00:03.000Z'), line('a', 3, '2026-12-06T00:00:05.000Z')];
  const backup = [line('b', 7, '2026-12-06T00:00:02.000Z'), line('b', 8, '2026-12-06T00:00:03.000Z'), line('b', 9, '2026-12-06T00:00:04.000Z')];
  assert.deepEqual(mergeByTime([master, backup], 100).map((l) => l.message), ['a#1', 'b#7', 'a#2', 'b#8', 'b#9', 'a#3']);
  assert.deepEqual(mergeByTime([backup, master], 3).map((l) => l.message), ['b#8', 'b#9', 'a#3']);
  assert.deepEqual(Object.keys(mergeByTime([master], 1)[0]!).sort(), ['amphora_id', 'listener_id', 'message', 'time']);
  assert.deepEqual(mergeByTime([[], []], 10), []);
});
