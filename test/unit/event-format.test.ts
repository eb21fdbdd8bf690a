// `fulcrum events`: the table, and following without repeating or losing an event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advance, eventTable, followSince, startCursor } from '../../src/cli/event-format.ts';
import type { EventView } from '../../src/observability/event-view.ts';

const ev = (id: string, at: string, type = 'member.error'): EventView => ({
  id,
  type,
  severity: 'error',
  loadbalancer_id: 'lb-1',
  project_id: 'p',
  created_at: at,
  detail: { member_id: 'm-1', operating_status: 'ERROR', loadbalancer_id: 'lb-1' },
});

test('the table has one line per event with its time, severity, type, LB and detail', () => {
  const lines = eventTable([ev('a', '2026-01-01T00:00:00.000')]).split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^TIME\s+SEVERITY\s+TYPE\s+LOADBALANCER\s+DETAIL$/);
  assert.match(lines[1], /2026-01-01T00:00:00\.000\s+ERROR\s+member\.error\s+lb-1\s+member_id=m-1 operating_status=ERROR$/);
});

test('following: an event is shown once, also when polls overlap', () => {
  let c = advance(startCursor(), [ev('a', '2026-01-01T00:00:01.000'), ev('b', '2026-01-01T00:00:02.000')]);
  assert.deepEqual(c.fresh.map((e) => e.id), ['a', 'b']);
  assert.equal(followSince(c.cursor), '2025-12-31T23:59:52.000Z', 'the next poll asks again for the overlap before the newest');
  // b again, with c written in the same millisecond.
  c = advance(c.cursor, [ev('a', '2026-01-01T00:00:01.000'), ev('b', '2026-01-01T00:00:02.000'), ev('c', '2026-01-01T00:00:02.000')]);
  assert.deepEqual(c.fresh.map((e) => e.id), ['c']);
  assert.deepEqual(advance(c.cursor, [ev('c', '2026-01-01T00:00:02.000')]).fresh, []);
});

test('following: an event committed late with an earlier time is still shown, once', () => {
  let c = advance(startCursor(), [ev('a', '2026-01-01T00:00:05.000')]);
  c = advance(c.cursor, [ev('late', '2026-01-01T00:00:04.000'), ev('a', '2026-01-01T00:00:05.000')]);
  assert.deepEqual(c.fresh.map((e) => e.id), ['late']);
  assert.equal(c.cursor.newest, '2026-01-01T00:00:05.000');
  assert.deepEqual(advance(c.cursor, [ev('late', '2026-01-01T00:00:04.000')]).fresh, []);
});

test('following: ids older than the overlap are forgotten, so memory stays bounded', () => {
  let c = advance(startCursor(), [ev('old', '2026-01-01T00:00:00.000')]);
  c = advance(c.cursor, [ev('new', '2026-01-01T00:01:00.000')]);
  assert.deepEqual([...c.cursor.recent.keys()], ['new']);
  assert.equal(followSince(startCursor()), null);
});
