import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSessionPersistence } from '../../src/model/session-persistence.ts';

test('null removes persistence', () => {
  assert.equal(resolveSessionPersistence(null, 'HTTP'), null);
});

test('APP_COOKIE needs a valid cookie name', () => {
  assert.deepEqual(resolveSessionPersistence({ type: 'APP_COOKIE', cookie_name: 'JSESSIONID' }, 'HTTP'), {
    type: 'APP_COOKIE',
    cookie_name: 'JSESSIONID',
    persistence_timeout: null,
    persistence_granularity: null,
  });
  assert.throws(() => resolveSessionPersistence({ type: 'APP_COOKIE' }, 'HTTP'), /must be specified/);
  for (const bad of ['a b', 'a;b', 'a,b', 'a\\b', 'a\nb']) {
    assert.throws(() => resolveSessionPersistence({ type: 'APP_COOKIE', cookie_name: bad }, 'HTTP'), /not a valid cookie name/, JSON.stringify(bad));
  }
});

test('cookie_name only with APP_COOKIE; timeout and granularity only on UDP/SCTP', () => {
  assert.throws(() => resolveSessionPersistence({ type: 'SOURCE_IP', cookie_name: 'x' }, 'HTTP'), /can only be specified/);
  assert.throws(() => resolveSessionPersistence({ type: 'SOURCE_IP', persistence_timeout: 5 }, 'TCP'), /only for UDP and SCTP/);
  assert.equal(resolveSessionPersistence({ type: 'SOURCE_IP', persistence_timeout: 5 }, 'UDP')?.persistence_timeout, 5);
  assert.throws(() => resolveSessionPersistence({ type: 'HTTP_COOKIE' }, 'UDP'), /not supported for UDP/);
});

test('an update may leave out the type and keep the stored one', () => {
  const stored = { type: 'APP_COOKIE', cookie_name: 'a', persistence_timeout: null, persistence_granularity: null };
  assert.equal(resolveSessionPersistence({ cookie_name: 'b' }, 'HTTP', stored)?.type, 'APP_COOKIE');
  assert.equal(resolveSessionPersistence({}, 'HTTP', stored)?.cookie_name, 'a');
  assert.throws(() => resolveSessionPersistence({ cookie_name: 'b' }, 'HTTP', null), /type is required/);
});
