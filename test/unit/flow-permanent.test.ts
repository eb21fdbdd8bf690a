// Which errors the flow engine treats as permanent (no retry): its own PermanentFailure, any
// error a lower layer marks `permanent: true`, a program that is not installed (spawn ENOENT),
// each also as the cause of another error. Everything else is retried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPermanent, PermanentFailure } from '../../src/flows/flow.ts';

function spawnEnoent(): Error {
  return Object.assign(new Error('spawn haproxy ENOENT'), { code: 'ENOENT', syscall: 'spawn haproxy', path: 'haproxy' });
}

test('PermanentFailure and errors marked permanent are permanent', () => {
  assert.equal(isPermanent(new PermanentFailure('no VIP')), true);
  assert.equal(isPermanent(Object.assign(new Error('refused'), { permanent: true })), true);
});

test('a program that is not installed is permanent; a missing file is not', () => {
  assert.equal(isPermanent(spawnEnoent()), true);
  assert.equal(isPermanent(Object.assign(new Error('open x ENOENT'), { code: 'ENOENT', syscall: 'open' })), false);
});

test('the mark counts anywhere in the cause chain, and a cyclic chain ends', () => {
  assert.equal(isPermanent(new Error('boot failed', { cause: new Error('agent', { cause: spawnEnoent() }) })), true);
  const a = new Error('a') as Error & { cause?: unknown };
  const b = new Error('b', { cause: a });
  a.cause = b;
  assert.equal(isPermanent(a), false);
});

test('other errors, marks that are not true, and non-errors are retried', () => {
  assert.equal(isPermanent(new Error('ECONNREFUSED')), false);
  assert.equal(isPermanent(Object.assign(new Error('conflict'), { permanent: false })), false);
  assert.equal(isPermanent(Object.assign(new Error('odd'), { permanent: 'yes' })), false);
  assert.equal(isPermanent('a string'), false);
  assert.equal(isPermanent(null), false);
  assert.equal(isPermanent(undefined), false);
});
