import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost, loadConfig } from '../../src/config.ts';

test('loopback hosts', () => {
  for (const h of ['127.0.0.1', '127.10.3.4', '::1', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['0.0.0.0', '::', '192.0.2.1', '10.0.0.1', 'example.org', '128.0.0.1']) assert.ok(!isLoopbackHost(h), h);
});

test('the default noauth refuses a non-loopback bind and says why', () => {
  assert.throws(
    () => loadConfig({ FULCRUM_API_BIND: '0.0.0.0:9876' }),
    /FULCRUM_API_BIND 0\.0\.0\.0:9876 is not a loopback address, and the default authentication \(noauth\) makes every caller an administrator of every project: choose FULCRUM_AUTH_STRATEGY=keystone or apikey, or set FULCRUM_AUTH_STRATEGY=noauth explicitly/,
  );
  assert.throws(() => loadConfig({ FULCRUM_API_BIND: '[::]:9876' }), /FULCRUM_API_BIND :::9876 is not a loopback address/);
});

test('an explicit noauth, another strategy, or a loopback bind is accepted', () => {
  assert.equal(loadConfig({ FULCRUM_API_BIND: '0.0.0.0:9876', FULCRUM_AUTH_STRATEGY: 'noauth' }).apiHost, '0.0.0.0');
  assert.equal(loadConfig({ FULCRUM_API_BIND: '0.0.0.0:9876', FULCRUM_AUTH_STRATEGY: 'apikey' }).authStrategy, 'apikey');
  assert.equal(loadConfig({ FULCRUM_API_BIND: '127.0.0.2:9876' }).apiHost, '127.0.0.2');
  assert.equal(loadConfig({ FULCRUM_API_BIND: '[::1]:9876' }).apiHost, '::1');
});
