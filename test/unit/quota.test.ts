// Quota rules, pure: effective values over defaults, PUT changes with the deprecated aliases,
// the over-quota decision, and the deployment defaults from configuration.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  effectiveQuota,
  exceededResources,
  limitedResources,
  parseQuotaDefaults,
  quotaChanges,
  UNLIMITED_DEFAULTS,
  withAliases,
} from '../../src/model/quota.ts';
import { loadConfig } from '../../src/config.ts';

describe('effectiveQuota', () => {
  test('a stored null means the deployment default', () => {
    const defaults = { ...UNLIMITED_DEFAULTS, listener: 5 };
    const q = effectiveQuota({ loadbalancer: 2, listener: null, pool: 0 }, defaults);
    assert.equal(q.loadbalancer, 2);
    assert.equal(q.listener, 5);
    assert.equal(q.pool, 0);
    assert.equal(q.member, -1);
  });

  test('a project without a record gets the defaults', () => {
    assert.deepEqual(effectiveQuota(null, UNLIMITED_DEFAULTS), UNLIMITED_DEFAULTS);
  });
});

describe('quotaChanges', () => {
  test('deprecated aliases set the canonical column; the canonical name wins when both are given', () => {
    assert.deepEqual(quotaChanges({ load_balancer: 3, health_monitor: 4 }), { loadbalancer: 3, healthmonitor: 4 });
    assert.deepEqual(quotaChanges({ load_balancer: 3, loadbalancer: 7 }), { loadbalancer: 7 });
  });

  test('absent fields are left alone, null resets to the default', () => {
    assert.deepEqual(quotaChanges({ member: null }), { member: null });
    assert.deepEqual(quotaChanges({}), {});
  });
});

describe('withAliases', () => {
  test('echoes load_balancer and health_monitor next to the canonical names', () => {
    const q = withAliases({ ...UNLIMITED_DEFAULTS, loadbalancer: 1, healthmonitor: 2 });
    assert.equal(q.load_balancer, 1);
    assert.equal(q.health_monitor, 2);
    assert.equal(q.loadbalancer, 1);
  });
});

describe('exceededResources', () => {
  const limits = { ...UNLIMITED_DEFAULTS, loadbalancer: 2, member: 10, pool: 0 };

  test('refuses only what would pass a limit', () => {
    assert.deepEqual(exceededResources(limits, { loadbalancer: 1 }, { loadbalancer: 1 }), []);
    assert.deepEqual(exceededResources(limits, { loadbalancer: 2 }, { loadbalancer: 1 }), ['loadbalancer']);
    assert.deepEqual(exceededResources(limits, { member: 8 }, { member: 3 }), ['member']);
    assert.deepEqual(exceededResources(limits, { member: 8 }, { member: 2 }), []);
  });

  test('zero allows nothing, -1 allows everything, nothing requested is never refused', () => {
    assert.deepEqual(exceededResources(limits, {}, { pool: 1 }), ['pool']);
    assert.deepEqual(exceededResources(limits, { listener: 1_000_000 }, { listener: 1 }), []);
    assert.deepEqual(exceededResources(limits, { pool: 5 }, { pool: 0, member: -2 }), []);
  });

  test('reports every resource over its limit', () => {
    assert.deepEqual(exceededResources(limits, { loadbalancer: 2 }, { loadbalancer: 1, pool: 1 }), ['loadbalancer', 'pool']);
  });

  test('only limited, requested resources need counting', () => {
    assert.deepEqual(limitedResources(limits, { loadbalancer: 1, listener: 1, member: 0 }), ['loadbalancer']);
  });
});

describe('parseQuotaDefaults', () => {
  test('a JSON object (or its text) sets named resources; the rest stay unlimited', () => {
    const d = parseQuotaDefaults('{"loadbalancer": 10, "health_monitor": 3}');
    assert.equal(d.loadbalancer, 10);
    assert.equal(d.healthmonitor, 3);
    assert.equal(d.member, -1);
    assert.equal(parseQuotaDefaults({ l7rule: 0 }).l7rule, 0);
  });

  test('bad input is a clear configuration error', () => {
    assert.throws(() => parseQuotaDefaults('nope'), /must be a JSON object/);
    assert.throws(() => parseQuotaDefaults('[1]'), /must be a JSON object/);
    assert.throws(() => parseQuotaDefaults({ widgets: 1 }), /unknown resource "widgets"/);
    assert.throws(() => parseQuotaDefaults({ pool: -2 }), /pool must be an integer from -1 to 2000000000/);
    assert.throws(() => parseQuotaDefaults({ pool: 1.5 }), /pool must be an integer/);
  });

  test('FULCRUM_QUOTA_DEFAULTS reaches the configuration; unset means unlimited', () => {
    assert.equal(loadConfig({ FULCRUM_QUOTA_DEFAULTS: '{"member": 50}' }).quotaDefaults.member, 50);
    assert.deepEqual(loadConfig({}).quotaDefaults, UNLIMITED_DEFAULTS);
    assert.throws(() => loadConfig({ FULCRUM_QUOTA_DEFAULTS: '{"member": "x"}' }), /member must be an integer/);
  });
});
