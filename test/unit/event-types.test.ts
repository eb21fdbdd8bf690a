// Which operating-status changes become events, and the catalogue's severities.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_TYPES, isEventType, operatingStatusEvent, severityOf } from '../../src/model/event-types.ts';

test('a member going down, degrading or offline is an event; the same status again is not', () => {
  assert.equal(operatingStatusEvent('member', 'ONLINE', 'ERROR'), 'member.error');
  assert.equal(operatingStatusEvent('pool', 'ONLINE', 'DEGRADED'), 'pool.degraded');
  assert.equal(operatingStatusEvent('listener', 'ONLINE', 'OFFLINE'), 'listener.offline');
  assert.equal(operatingStatusEvent('loadbalancer', 'DEGRADED', 'ERROR'), 'loadbalancer.error');
  assert.equal(operatingStatusEvent('member', 'ERROR', 'ERROR'), null);
});

test('back ONLINE only from a bad status: a new object first reporting ONLINE is not news', () => {
  assert.equal(operatingStatusEvent('member', 'ERROR', 'ONLINE'), 'member.online');
  assert.equal(operatingStatusEvent('pool', 'DEGRADED', 'ONLINE'), 'pool.online');
  assert.equal(operatingStatusEvent('member', 'OFFLINE', 'ONLINE'), null);
  assert.equal(operatingStatusEvent('member', 'NO_MONITOR', 'ONLINE'), null);
});

test('OFFLINE is news only for an object that was serving', () => {
  assert.equal(operatingStatusEvent('member', 'NO_MONITOR', 'OFFLINE'), null);
  assert.equal(operatingStatusEvent('member', 'DEGRADED', 'OFFLINE'), 'member.offline');
});

test('statuses nobody alerts on and objects health does not judge make no event', () => {
  assert.equal(operatingStatusEvent('member', 'ONLINE', 'NO_MONITOR'), null);
  assert.equal(operatingStatusEvent('member', 'ONLINE', 'DRAINING'), null);
  assert.equal(operatingStatusEvent('healthmonitor', 'ONLINE', 'ERROR'), null);
});

test('every type an operating status change can produce is in the catalogue, with its severity', () => {
  for (const o of ['loadbalancer', 'listener', 'pool', 'member']) {
    for (const s of ['online', 'degraded', 'error', 'offline']) assert.ok(isEventType(`${o}.${s}`), `${o}.${s}`);
  }
  assert.equal(severityOf('member.error'), 'error');
  assert.equal(severityOf('member.online'), 'info');
  assert.equal(severityOf('failover.started'), 'warning');
  assert.equal(severityOf('host.offline'), 'error');
  assert.equal(severityOf('host.online'), 'info');
  assert.equal(severityOf('host.admin_state'), 'info');
  assert.ok(!isEventType('constructor'), 'names of Object.prototype are not event types');
  assert.ok(Object.keys(EVENT_TYPES).includes('quota.reached'));
});
