import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalUrl } from '../../src/api/app.ts';

test('the /v2.0 alias, .json suffixes and a /load-balancer prefix map to one canonical path', () => {
  assert.equal(canonicalUrl('/v2.0/lbaas/loadbalancers'), '/v2/lbaas/loadbalancers');
  assert.equal(canonicalUrl('/v2/lbaas/loadbalancers.json?limit=1'), '/v2/lbaas/loadbalancers?limit=1');
  assert.equal(canonicalUrl('/load-balancer/v2.0/lbaas/pools/x.json'), '/v2/lbaas/pools/x');
  assert.equal(canonicalUrl('/load-balancer'), '/');
  assert.equal(canonicalUrl('/v2.0'), '/v2');
  assert.equal(canonicalUrl('/v20/lbaas'), '/v20/lbaas');
  assert.equal(canonicalUrl('/v2/lbaas/loadbalancers/?limit=2'), '/v2/lbaas/loadbalancers?limit=2', 'a trailing slash lists');
  assert.equal(canonicalUrl('/'), '/');
});
