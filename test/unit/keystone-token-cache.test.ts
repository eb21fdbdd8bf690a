// The Keystone verdict cache: TTL bounded by the token's own expiry, brief negative entries,
// LRU eviction, keys that are digests; and the mapping of a Keystone token to an AuthContext.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenCache, tokenCacheKey } from '../../src/auth/keystone-token-cache.ts';
import { identityV3Url, tokenToContext } from '../../src/auth/keystone.ts';

const ctx = (projectId: string) => ({ projectId, roles: ['member'], isAdmin: false });

function cacheAt(options: { ttlMs?: number; negativeTtlMs?: number; maxEntries?: number } = {}) {
  let now = 1_000_000;
  const cache = new TokenCache({ ttlMs: 60_000, negativeTtlMs: 5_000, maxEntries: 100, ...options, now: () => now });
  return { cache, advance: (ms: number) => (now += ms), now: () => now };
}

describe('Keystone token cache', () => {
  test('a valid token is reused until the configured TTL', () => {
    const { cache, advance, now } = cacheAt();
    cache.putValid('k', ctx('p1'), now() + 3_600_000);
    advance(59_999);
    assert.deepEqual(cache.get('k'), { hit: true, context: ctx('p1') });
    advance(1);
    assert.deepEqual(cache.get('k'), { hit: false });
  });

  test('a token expiring before the TTL is dropped at its expiry', () => {
    const { cache, advance, now } = cacheAt();
    cache.putValid('k', ctx('p1'), now() + 10_000);
    advance(9_999);
    assert.equal(cache.get('k').hit, true);
    advance(1);
    assert.equal(cache.get('k').hit, false);
  });

  test('an already expired token is not stored', () => {
    const { cache, now } = cacheAt();
    cache.putValid('k', ctx('p1'), now());
    assert.equal(cache.size, 0);
  });

  test('rejections are remembered only for the negative TTL', () => {
    const { cache, advance } = cacheAt({ negativeTtlMs: 5_000 });
    cache.putInvalid('bad');
    assert.deepEqual(cache.get('bad'), { hit: true, context: null });
    advance(5_000);
    assert.deepEqual(cache.get('bad'), { hit: false });
  });

  test('TTL 0 disables caching', () => {
    const { cache, now } = cacheAt({ ttlMs: 0, negativeTtlMs: 0 });
    cache.putValid('k', ctx('p1'), now() + 60_000);
    cache.putInvalid('bad');
    assert.equal(cache.size, 0);
  });

  test('the least recently used entry is evicted beyond maxEntries', () => {
    const { cache, now } = cacheAt({ maxEntries: 2 });
    cache.putValid('a', ctx('a'), now() + 60_000);
    cache.putValid('b', ctx('b'), now() + 60_000);
    assert.equal(cache.get('a').hit, true); // a is now the most recent
    cache.putValid('c', ctx('c'), now() + 60_000);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('b').hit, false);
    assert.equal(cache.get('a').hit, true);
    assert.equal(cache.get('c').hit, true);
  });

  test('keys are SHA-256 digests, not tokens', () => {
    const key = tokenCacheKey('gAAAAAB-secret-token');
    assert.match(key, /^[0-9a-f]{64}$/);
    assert.ok(!key.includes('secret'));
    assert.equal(key, tokenCacheKey('gAAAAAB-secret-token'));
    assert.notEqual(key, tokenCacheKey('gAAAAAB-secret-tokeN'));
  });
});

describe('Keystone token → AuthContext', () => {
  test('project id, lower-case role names, never the is_admin flag', () => {
    const verdict = tokenToContext({
      expires_at: '2030-01-02T03:04:05.000000Z',
      project: { id: 'abc123' },
      roles: [{ name: 'Member' }, { name: 'load-balancer_admin' }, { name: 'admin' }],
    });
    assert.deepEqual(verdict.context, { projectId: 'abc123', roles: ['member', 'load-balancer_admin', 'admin'], isAdmin: false });
    assert.equal(verdict.expiresAt, Date.UTC(2030, 0, 2, 3, 4, 5));
  });

  test('an unscoped token has no project; an unreadable expiry counts as expired', () => {
    const verdict = tokenToContext({ expires_at: 'soon' });
    assert.deepEqual(verdict.context, { projectId: null, roles: [], isAdmin: false });
    assert.equal(verdict.expiresAt, 0);
  });

  test('the identity URL is used with or without /v3', () => {
    assert.equal(identityV3Url('http://127.0.0.1:5000'), 'http://127.0.0.1:5000/v3');
    assert.equal(identityV3Url('http://127.0.0.1:5000/v3/'), 'http://127.0.0.1:5000/v3');
    assert.equal(identityV3Url('https://cloud.example/identity'), 'https://cloud.example/identity/v3');
  });
});
