// `fulcrum events`: the table, and following without repeating or losing an event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advance, eventTable } from '../../src/cli/event-format.ts';
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

test('following: events at the instant already shown are not shown twice, later ones are', () => {
  let c = advance({ since: null, seenAtSince: new Set() }, [ev('a', 't1'), ev('b', 't2')]);
  assert.deepEqual(c.fresh.map((e) => e.id), ['a', 'b']);
  // The next poll asks since t2: b comes again, with c written in the same millisecond.
  c = advance(c.cursor, [ev('b', 't2'), ev('c', 't2')]);
  assert.deepEqual(c.fresh.map((e) => e.id), ['c']);
  c = advance(c.cursor, [ev('b', 't2'), ev('c', 't2'), ev('d', 't3')]);
  assert.deepEqual(c.fresh.map((e) => e.id), ['d']);
  assert.deepEqual(advance(c.cursor, [ev('d', 't3')]).fresh, []);
});
