// A UDP/SCTP member's state from its probe results: max_retries_down failures take it out,
// max_retries successes bring it back, a disagreeing result in between starts the count again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemberHealthBook } from '../../src/agent/l4-member-health.ts';

test('a member is up until `fall` failures in a row, and back after `rise` successes in a row', () => {
  const book = new MemberHealthBook();
  assert.equal(book.isDown('m'), false, 'unprobed members count as up');
  assert.equal(book.record('m', false, 2, 3), false);
  assert.equal(book.record('m', false, 2, 3), false);
  assert.equal(book.record('m', true, 2, 3), false, 'a success breaks the run of failures');
  assert.equal(book.record('m', false, 2, 3), false);
  assert.equal(book.record('m', false, 2, 3), false);
  assert.equal(book.record('m', false, 2, 3), true, 'the third failure in a row takes it down');
  assert.equal(book.isDown('m'), true);
  assert.equal(book.record('m', true, 2, 3), false);
  assert.equal(book.record('m', true, 2, 3), true, 'the second success in a row brings it back');
  assert.equal(book.isDown('m'), false);
});

test('members no longer monitored are forgotten', () => {
  const book = new MemberHealthBook();
  book.record('a', false, 1, 1);
  book.record('b', false, 1, 1);
  book.retain(new Set(['b']));
  assert.equal(book.isDown('a'), false);
  assert.equal(book.isDown('b'), true);
});
