// Fast detection of an amphora its agent cannot heal: the agent's verdict from its facts, the
// heartbeat fields that carry it, and the health manager's choice to fail over at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { unhealableReason, type HealFacts } from '../../src/agent/healability.ts';
import { encodeHeartbeat, HeartbeatRejected, openHeartbeat, type Heartbeat } from '../../src/agent/heartbeat-codec.ts';
import { failoverCause, type FailoverEvidence } from '../../src/health/failover-cause.ts';

const healthy: HealFacts = { haproxyRunning: true, haproxyWanted: true, gaveUp: false, netnsMissing: false, configPresent: true, keepalivedGaveUp: false };
const down = { ...healthy, haproxyRunning: false };

test('a running HAProxy is healthy whatever its supervisor or configuration file say', () => {
  assert.equal(unhealableReason(healthy), null);
  assert.equal(unhealableReason({ ...healthy, gaveUp: true, configPresent: false }), null);
});

test('a running HAProxy in a namespace whose name is gone is out of the agent\'s reach', () => {
  assert.equal(unhealableReason({ ...healthy, netnsMissing: true }), 'netns_missing');
});

test('a HAProxy that is down and being restarted may still heal: no reason', () => {
  assert.equal(unhealableReason(down), null);
});

test('a deleted namespace, a missing configuration and a supervisor that gave up are reasons', () => {
  assert.equal(unhealableReason({ ...down, netnsMissing: true }), 'netns_missing');
  assert.equal(unhealableReason({ ...down, configPresent: false }), 'config_missing');
  assert.equal(unhealableReason({ ...down, gaveUp: true }), 'gave_up');
  // The namespace is named first: without it nothing else could help.
  assert.equal(unhealableReason({ ...down, netnsMissing: true, configPresent: false, gaveUp: true }), 'netns_missing');
});

test('a HAProxy the controller stopped is not the agent to heal, unless its namespace is gone', () => {
  assert.equal(unhealableReason({ ...down, haproxyWanted: false, configPresent: false, gaveUp: true }), null);
  assert.equal(unhealableReason({ ...down, haproxyWanted: false, netnsMissing: true }), 'netns_missing');
});

test('a keepalived its supervisor gave up on is a reason, with HAProxy serving or not', () => {
  assert.equal(unhealableReason({ ...healthy, keepalivedGaveUp: true }), 'keepalived_gave_up');
  // HAProxy's own reason is named first: it is the outage, keepalived only the lost standby.
  assert.equal(unhealableReason({ ...down, gaveUp: true, keepalivedGaveUp: true }), 'gave_up');
  assert.equal(unhealableReason({ ...healthy, netnsMissing: true, keepalivedGaveUp: true }), 'netns_missing');
});

const KEY = randomBytes(32);
const NOW = 1_780_000_000_000;
const beat = (over: Partial<Heartbeat>): Heartbeat => ({
  amphora_id: '0b6d7a8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
  seq: 7,
  ts: NOW,
  haproxy: { running: false, epoch: null },
  proxies: [],
  ...over,
});
const open = (hb: Heartbeat) => openHeartbeat(encodeHeartbeat(hb, 'k1', KEY), () => KEY, NOW, 10_000).heartbeat;

test('the fault and the self-heal count travel in the heartbeat; an older agent sends neither', () => {
  const got = open(beat({ fault: 'netns_missing', heals: 3 }));
  assert.equal(got.fault, 'netns_missing');
  assert.equal(got.heals, 3);
  const old = open(beat({}));
  assert.equal(old.fault, undefined);
  assert.equal(old.heals, undefined);
});

test('a malformed fault or heal count is refused as a bad body', () => {
  for (const bad of [{ fault: '' }, { fault: 'x'.repeat(65) }, { fault: 5 }, { heals: -1 }, { heals: 1.5 }, { heals: '2' }]) {
    assert.throws(
      () => open(beat(bad as unknown as Partial<Heartbeat>)),
      (err: unknown) => err instanceof HeartbeatRejected && err.reason === 'bad_body',
      JSON.stringify(bad),
    );
  }
});

const evidence = (over: Partial<FailoverEvidence>): FailoverEvidence => ({
  silent: false,
  broken: false,
  unhealable: false,
  fault: null,
  lb_status: 'ACTIVE',
  last_seen: new Date(NOW),
  ...over,
});

test('an unhealable amphora is failed over at once; a merely broken one only past the timeout', () => {
  assert.equal(failoverCause(evidence({}), 3000), null);
  const now = failoverCause(evidence({ unhealable: true, fault: 'netns_missing' }), 3000);
  assert.equal(now?.kind, 'unhealable');
  assert.match(now!.reason, /netns_missing/);
  assert.equal(failoverCause(evidence({ broken: true }), 3000)?.kind, 'broken');
  assert.equal(failoverCause(evidence({ silent: true }), 3000)?.kind, 'silent');
  const standbyLost = failoverCause(evidence({ unhealable: true, fault: 'keepalived_gave_up' }), 3000);
  assert.equal(standbyLost?.kind, 'unhealable');
  assert.match(standbyLost!.reason, /gave up restarting keepalived/);
});

test('no cause while a flow works on the load balancer, however bad the evidence', () => {
  for (const lb_status of ['PENDING_UPDATE', 'PENDING_CREATE', 'ERROR']) {
    assert.equal(failoverCause(evidence({ lb_status, silent: true, broken: true, unhealable: true, fault: 'gave_up' }), 3000), null, lb_status);
  }
});
