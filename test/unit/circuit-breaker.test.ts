// Circuit breakers per failure domain: too many silent amphorae at once stop automatic
// failover there, and the reason says why; an operator reset lets those failover.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateBreakers, inClosingGrace, type BreakerPolicy, type MonitoredAmphora } from '../../src/health/circuit-breaker.ts';

const POLICY: BreakerPolicy = { fleet: 0.5, az: 0.5, host: null, minSilent: 2 };
const T0 = new Date('2026-01-01T00:00:00Z');

function fleet(n: number, silent: number, az = (i: number) => (i % 2 === 0 ? 'az1' : 'az2')): MonitoredAmphora[] {
  return Array.from({ length: n }, (_, i) => ({ id: `a${i}`, host: `h${i % 3}`, availabilityZone: az(i), silent: i < silent, lastSeen: T0 }));
}

test('one silent amphora in a healthy fleet may fail over', () => {
  const amphorae = fleet(10, 1);
  const verdict = evaluateBreakers(amphorae, POLICY, new Map());
  assert.equal(verdict.domains.filter((d) => d.open).length, 0);
  assert.equal(verdict.allowed(amphorae[0]), true);
});

test('half the fleet silent at once opens the fleet breaker and says why', () => {
  const amphorae = fleet(10, 5);
  const verdict = evaluateBreakers(amphorae, POLICY, new Map());
  const fleetState = verdict.domains.find((d) => d.domain === 'fleet');
  assert.deepEqual({ open: fleetState?.open, silent: fleetState?.silent, total: fleetState?.total }, { open: true, silent: 5, total: 10 });
  assert.match(fleetState?.reason ?? '', /5 of 10 amphorae in fleet went silent/);
  const silent = amphorae.filter((a) => a.silent);
  assert.equal(silent.length, 5);
  assert.ok(silent.every((a) => !verdict.allowed(a)));
});

test('an availability zone trips on its own while the fleet does not', () => {
  // a0, a2, a4 (az1) silent: 3 of 5 in az1, 3 of 10 in the fleet.
  const amphorae = fleet(10, 0).map((a, i) => ({ ...a, silent: [0, 2, 4].includes(i) }));
  const verdict = evaluateBreakers(amphorae, POLICY, new Map());
  assert.equal(verdict.domains.find((d) => d.domain === 'az:az1')?.open, true);
  assert.equal(verdict.domains.find((d) => d.domain === 'fleet')?.open, false);
  assert.equal(verdict.allowed(amphorae[0]), false);
  // az2's amphorae are not held back by az1's breaker.
  assert.equal(verdict.allowed({ ...amphorae[1], silent: true }), true);
});

test('fewer silent than the minimum never trips; a disabled level never trips', () => {
  const two = fleet(2, 1);
  assert.equal(evaluateBreakers(two, POLICY, new Map()).domains.some((d) => d.open), false);
  const hosts = fleet(9, 0).map((a) => ({ ...a, silent: a.host === 'h0' }));
  assert.equal(evaluateBreakers(hosts, POLICY, new Map()).domains.some((d) => d.domain.startsWith('host:') && d.open), false);
  assert.equal(evaluateBreakers(hosts, { ...POLICY, host: 0.5 }, new Map()).domains.find((d) => d.domain === 'host:h0')?.open, true);
});

test('after an operator reset, amphorae silent before it may fail over; later silences count again', () => {
  const amphorae = fleet(10, 5);
  const at = new Date(T0.getTime() + 1000);
  const reset = new Map([['fleet', at], ['az:az1', at], ['az:az2', at]]);
  const verdict = evaluateBreakers(amphorae, POLICY, reset);
  assert.equal(verdict.domains.find((d) => d.domain === 'fleet')?.open, false);
  assert.ok(amphorae.filter((a) => a.silent).every((a) => verdict.allowed(a)));
  const later = amphorae.map((a) => ({ ...a, lastSeen: new Date(T0.getTime() + 5000) }));
  assert.equal(evaluateBreakers(later, POLICY, reset).domains.find((d) => d.domain === 'fleet')?.open, true);
});

test('an amphora still silent when its breaker closed gets one more timeout; one silent since after does not', () => {
  const closed = new Date(T0.getTime() + 10_000);
  const closedAt = new Map([['fleet', closed]]);
  const before: MonitoredAmphora = { id: 'a', host: null, availabilityZone: null, silent: true, lastSeen: T0 };
  const after: MonitoredAmphora = { ...before, lastSeen: new Date(closed.getTime() + 1) };
  assert.equal(inClosingGrace(before, closedAt, new Date(closed.getTime() + 2999), 3000), true);
  assert.equal(inClosingGrace(before, closedAt, new Date(closed.getTime() + 3000), 3000), false);
  assert.equal(inClosingGrace(after, closedAt, new Date(closed.getTime() + 100), 3000), false);
  assert.equal(inClosingGrace({ ...before, silent: false }, closedAt, new Date(closed.getTime() + 100), 3000), false);
  assert.equal(inClosingGrace(before, new Map(), new Date(closed.getTime() + 100), 3000), false);
});
