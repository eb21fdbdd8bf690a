// L7 policy rules: action/argument normalisation on create and update, and dense positions.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isRedirectUrl,
  normaliseL7Policy,
  placePolicy,
  policyOrder,
  positionChanges,
  type L7PolicyArguments,
} from '../../src/model/l7-policy.ts';

const POOL = '11111111-1111-4111-8111-111111111111';
const none = { redirect_pool_id: null, redirect_url: null, redirect_prefix: null, redirect_http_code: null };

describe('normaliseL7Policy on create', () => {
  test('each action keeps only its own argument; URL and prefix redirects default to 302', () => {
    assert.deepEqual(normaliseL7Policy({ action: 'REJECT' }), { action: 'REJECT', ...none });
    assert.deepEqual(normaliseL7Policy({ action: 'REDIRECT_TO_POOL', redirect_pool_id: POOL, redirect_http_code: 301 }), {
      action: 'REDIRECT_TO_POOL',
      ...none,
      redirect_pool_id: POOL,
    });
    assert.deepEqual(normaliseL7Policy({ action: 'REDIRECT_TO_URL', redirect_url: 'https://example.com/x' }), {
      action: 'REDIRECT_TO_URL',
      ...none,
      redirect_url: 'https://example.com/x',
      redirect_http_code: 302,
    });
    assert.deepEqual(normaliseL7Policy({ action: 'REDIRECT_PREFIX', redirect_prefix: 'http://example.com', redirect_http_code: 308 }), {
      action: 'REDIRECT_PREFIX',
      ...none,
      redirect_prefix: 'http://example.com',
      redirect_http_code: 308,
    });
  });

  test('REJECT drops redirect arguments given with it', () => {
    assert.deepEqual(normaliseL7Policy({ action: 'REJECT', redirect_url: 'http://example.com', redirect_http_code: 301 }), { action: 'REJECT', ...none });
  });

  test('a missing argument, or a pool together with a URL or prefix, is refused', () => {
    assert.throws(() => normaliseL7Policy({ action: 'REDIRECT_TO_URL' }), { status: 400, message: 'Invalid L7 Policy arguments: redirect_url must not be None' });
    assert.throws(() => normaliseL7Policy({ action: 'REDIRECT_TO_POOL' }), { message: 'Invalid L7 Policy arguments: redirect_pool_id must not be None' });
    assert.throws(() => normaliseL7Policy({ action: 'REDIRECT_PREFIX', redirect_prefix: null }), {
      message: 'Invalid L7 Policy arguments: redirect_prefix must not be None',
    });
    assert.throws(() => normaliseL7Policy({ action: 'REDIRECT_TO_POOL', redirect_pool_id: POOL, redirect_url: 'http://example.com' }), {
      message: 'Invalid L7 Policy arguments: Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time',
    });
    assert.throws(() => normaliseL7Policy({ action: 'FORWARD' }), { message: 'Invalid L7 Policy action specified: FORWARD' });
    assert.throws(() => normaliseL7Policy({}), { message: 'Invalid L7 Policy action specified: None' });
  });

  test('redirect URLs must be absolute http(s) URLs with a host and no spaces', () => {
    for (const bad of ['example.com/x', 'ftp://example.com', 'http://', 'http://exa mple.com', 'https://x/\u0007', `http://example.com/${'a'.repeat(255)}`]) {
      assert.equal(isRedirectUrl(bad), false, bad);
    }
    for (const good of ['http://example.com', 'HTTPS://example.com:8443/a?b=c#d', 'http://[2001:db8::1]/']) assert.equal(isRedirectUrl(good), true, good);
    assert.throws(() => normaliseL7Policy({ action: 'REDIRECT_TO_URL', redirect_url: 'nope' }), {
      status: 400,
      message: "Invalid input for field/attribute redirect_url. Value: 'nope'. Not a valid URL: nope",
    });
    assert.throws(() => normaliseL7Policy({ redirect_prefix: 'ftp://x' }), { message: /redirect_prefix\. Value: 'ftp:\/\/x'\. Not a valid URL/ });
  });
});

describe('normaliseL7Policy on update', () => {
  const toPool: L7PolicyArguments = { action: 'REDIRECT_TO_POOL', ...none, redirect_pool_id: POOL };
  const toUrl: L7PolicyArguments = { action: 'REDIRECT_TO_URL', ...none, redirect_url: 'http://a.example', redirect_http_code: 301 };

  test('a redirect argument forces its action and clears the others', () => {
    assert.deepEqual(normaliseL7Policy({ redirect_url: 'http://b.example' }, toPool), {
      action: 'REDIRECT_TO_URL',
      ...none,
      redirect_url: 'http://b.example',
      redirect_http_code: 302,
    });
    assert.deepEqual(normaliseL7Policy({ redirect_pool_id: POOL }, toUrl), toPool);
    assert.deepEqual(normaliseL7Policy({ redirect_prefix: 'http://c.example' }, toUrl), {
      action: 'REDIRECT_PREFIX',
      ...none,
      redirect_prefix: 'http://c.example',
      redirect_http_code: 301,
    });
  });

  test('the stored argument and code are kept while the action stays; null resets the code', () => {
    assert.deepEqual(normaliseL7Policy({}, toUrl), toUrl);
    assert.deepEqual(normaliseL7Policy({ action: 'REDIRECT_TO_URL' }, toUrl), toUrl);
    assert.deepEqual(normaliseL7Policy({ redirect_http_code: 307 }, toUrl), { ...toUrl, redirect_http_code: 307 });
    assert.deepEqual(normaliseL7Policy({ redirect_http_code: null }, toUrl), { ...toUrl, redirect_http_code: 302 });
    assert.deepEqual(normaliseL7Policy({ action: 'REJECT' }, toUrl), { action: 'REJECT', ...none });
  });

  test('changing the action needs the new argument; clearing the current one is refused', () => {
    assert.throws(() => normaliseL7Policy({ action: 'REDIRECT_TO_URL' }, toPool), { message: 'Invalid L7 Policy arguments: redirect_url must not be None' });
    assert.throws(() => normaliseL7Policy({ redirect_url: null }, toUrl), { message: 'Invalid L7 Policy arguments: redirect_url must not be None' });
    assert.deepEqual(normaliseL7Policy({ redirect_pool_id: null }, toUrl), toUrl, 'clearing an argument the action does not use changes nothing');
  });
});

describe('policy positions', () => {
  test('insert at an occupied position shifts the rest down; beyond the end or none appends', () => {
    assert.deepEqual(placePolicy(['a', 'b', 'c'], 'n', 1), ['n', 'a', 'b', 'c']);
    assert.deepEqual(placePolicy(['a', 'b', 'c'], 'n', 2), ['a', 'n', 'b', 'c']);
    assert.deepEqual(placePolicy(['a', 'b', 'c'], 'n', 4), ['a', 'b', 'c', 'n']);
    assert.deepEqual(placePolicy(['a', 'b', 'c'], 'n', 2_147_483_647), ['a', 'b', 'c', 'n']);
    assert.deepEqual(placePolicy(['a', 'b', 'c'], 'n', undefined), ['a', 'b', 'c', 'n']);
    assert.deepEqual(placePolicy([], 'n', 5), ['n']);
  });

  test('a move takes the policy out first, so beyond the end means last', () => {
    assert.deepEqual(placePolicy(['a', 'b', 'c'], 'a', 3), ['b', 'c', 'a']);
    assert.deepEqual(placePolicy(['a', 'b', 'c'], 'c', 1), ['c', 'a', 'b']);
    assert.deepEqual(placePolicy(['a', 'b', 'c'], 'b', 99), ['a', 'c', 'b']);
    assert.deepEqual(placePolicy(['a', 'b', 'c'], 'b', null), ['a', 'c', 'b']);
    assert.deepEqual(placePolicy(['a', 'b', 'c'], 'b', 2), ['a', 'b', 'c']);
  });

  test('order follows position, then creation; changes renumber densely and name only what moved', () => {
    const t = (s: number) => new Date(1_700_000_000_000 + s * 1000);
    const rows = [
      { id: 'c', position: 5, created_at: t(1) },
      { id: 'a', position: 1, created_at: t(3) },
      { id: 'b', position: 1, created_at: t(2) },
    ];
    assert.deepEqual(policyOrder(rows), ['b', 'a', 'c']);
    assert.deepEqual(positionChanges(rows, ['b', 'a', 'c']), [
      { id: 'a', position: 2 },
      { id: 'c', position: 3 },
    ]);
    assert.deepEqual(positionChanges([{ id: 'a', position: 1 }, { id: 'b', position: 2 }], ['a', 'b']), []);
  });
});
