// The health manager's settings: defaults, breaker shares (a number in (0, 1] or "off"),
// booleans, and a clear message for each bad value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';

test('health manager defaults: 1 s heartbeats, 3 s timeout, fleet and AZ breakers at half, host breaker off', () => {
  const c = loadConfig({});
  assert.deepEqual(
    [c.heartbeatIntervalMs, c.heartbeatTimeoutMs, c.healthPort, c.autoFailover, c.breakerFleet, c.breakerAz, c.breakerHost, c.breakerMinSilent, c.failoverMaxConcurrent],
    [1000, 3000, 0, true, 0.5, 0.5, null, 3, 4],
  );
});

test('breaker shares, booleans and ports from the environment', () => {
  const c = loadConfig({
    FULCRUM_FAILOVER_BREAKER_FLEET: '0.3',
    FULCRUM_FAILOVER_BREAKER_AZ: 'off',
    FULCRUM_FAILOVER_BREAKER_HOST: '1',
    FULCRUM_AUTO_FAILOVER: 'false',
    FULCRUM_HEALTH_PORT: '5555',
    FULCRUM_HEALTH_ADVERTISE_HOST: '192.0.2.10',
  });
  assert.deepEqual([c.breakerFleet, c.breakerAz, c.breakerHost, c.autoFailover, c.healthPort, c.healthAdvertiseHost], [0.3, null, 1, false, 5555, '192.0.2.10']);
});

test('a timeout shorter than two heartbeat intervals is refused', () => {
  assert.throws(() => loadConfig({ FULCRUM_HEARTBEAT_INTERVAL_MS: '1000', FULCRUM_HEARTBEAT_TIMEOUT_MS: '1500' }), /at least twice FULCRUM_HEARTBEAT_INTERVAL_MS/);
  assert.equal(loadConfig({ FULCRUM_HEARTBEAT_INTERVAL_MS: '200', FULCRUM_HEARTBEAT_TIMEOUT_MS: '400' }).heartbeatTimeoutMs, 400);
});

test('bad health settings are each reported by name', () => {
  assert.throws(
    () =>
      loadConfig({
        FULCRUM_FAILOVER_BREAKER_FLEET: '0',
        FULCRUM_FAILOVER_BREAKER_AZ: '1.5',
        FULCRUM_AUTO_FAILOVER: 'maybe',
        FULCRUM_HEARTBEAT_TIMEOUT_MS: '10',
        FULCRUM_HEALTH_PORT: '70000',
      }),
    (err: Error) =>
      ['FULCRUM_FAILOVER_BREAKER_FLEET', 'FULCRUM_FAILOVER_BREAKER_AZ', 'FULCRUM_AUTO_FAILOVER', 'FULCRUM_HEARTBEAT_TIMEOUT_MS', 'FULCRUM_HEALTH_PORT'].every((name) => err.message.includes(name)),
  );
});
