// FULCRUM_PROTECTION_DEFAULTS: the operator's protection layer, checked at start like every setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';

test('a JSON object of protection settings becomes the defaults; none by default', () => {
  assert.deepEqual(loadConfig({}).protectionDefaults, {});
  const config = loadConfig({ FULCRUM_PROTECTION_DEFAULTS: '{"concurrent_connections_per_source": 1000, "action": "tarpit"}' });
  assert.deepEqual(config.protectionDefaults, { concurrent_connections_per_source: 1000, action: 'tarpit' });
});

test('bad defaults stop the start with a message naming the setting', () => {
  for (const [raw, message] of [
    ['not json', /FULCRUM_PROTECTION_DEFAULTS must be a JSON object/],
    ['{"requests_per_second_per_source": 0}', /FULCRUM_PROTECTION_DEFAULTS requests_per_second_per_source must be an integer from 1/],
    ['{"rate": 5}', /FULCRUM_PROTECTION_DEFAULTS 'rate' is not a protection setting/],
    ['[1]', /FULCRUM_PROTECTION_DEFAULTS must be an object/],
  ] as const) {
    assert.throws(() => loadConfig({ FULCRUM_PROTECTION_DEFAULTS: raw }), message, raw);
  }
});
