// The dashboard's pure parts: badge colors, page routing in the URL fragment, number and time
// formats, job labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostTone, severityTone, statusTone } from '../../src/ui/status.ts';
import { parseRoute, routeHref } from '../../src/ui/route.ts';
import { ago, clockTime, formatBytes, formatRate, jobLabel, nonZeroCounters, shortId } from '../../src/ui/format.ts';

test('statuses are colored by what they mean', () => {
  assert.equal(statusTone('ONLINE'), 'ok');
  assert.equal(statusTone('ACTIVE'), 'ok');
  assert.equal(statusTone('DEGRADED'), 'warn');
  assert.equal(statusTone('DRAINING'), 'warn');
  assert.equal(statusTone('ERROR'), 'bad');
  assert.equal(statusTone('failed'), 'bad');
  assert.equal(statusTone('PENDING_UPDATE'), 'busy');
  assert.equal(statusTone('PENDING_CREATE'), 'busy');
  assert.equal(statusTone('OFFLINE'), 'idle', 'an administratively disabled object is not an error');
  assert.equal(statusTone('NO_MONITOR'), 'idle');
  assert.equal(statusTone(null), 'idle');
  assert.equal(statusTone('SOMETHING_NEW'), 'idle');
  assert.equal(severityTone('ERROR'), 'bad');
  assert.equal(severityTone('warning'), 'warn');
  assert.equal(severityTone('info'), 'ok');
  assert.equal(severityTone(undefined), 'idle');
  assert.equal(hostTone('OFFLINE'), 'bad', 'a host that stopped answering is a failure');
  assert.equal(hostTone('ONLINE'), 'ok');
  assert.equal(statusTone('ENABLED'), 'ok');
});

test('pages live in the URL fragment and round-trip', () => {
  const id = '07b1a6de-1f96-43c5-aaa3-6016ebe6a5a1';
  assert.deepEqual(parseRoute(`#/lb/${id}`), { page: 'loadbalancer', id });
  assert.deepEqual(parseRoute('#/operator'), { page: 'operator' });
  assert.deepEqual(parseRoute(''), { page: 'loadbalancers' });
  assert.deepEqual(parseRoute('#/'), { page: 'loadbalancers' });
  assert.deepEqual(parseRoute('#/lb/<script>'), { page: 'loadbalancers' }, 'only an id-shaped segment opens a load balancer');
  assert.deepEqual(parseRoute('#/lb/a/b'), { page: 'loadbalancers' });
  for (const route of [{ page: 'loadbalancer', id } as const, { page: 'operator' } as const, { page: 'loadbalancers' } as const]) {
    assert.deepEqual(parseRoute(routeHref(route)), route);
  }
});

test('bytes, rates and ages read as people write them', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.5 KB');
  assert.equal(formatBytes(5 * 1024 ** 3), '5.0 GB');
  assert.equal(formatRate(16.333), '16.3');
  assert.equal(formatRate(20), '20');
  assert.equal(formatRate(250.4), '250');
  const now = Date.parse('2026-12-06T02:30:00Z');
  assert.equal(ago('2026-12-06T02:29:48', now), '12 s ago', 'Octavia times carry no zone and are UTC');
  assert.equal(ago('2026-12-06T02:25:00Z', now), '5 min ago');
  assert.equal(ago('2026-12-05T23:30:00', now), '3 h ago');
  assert.equal(ago('2026-11-01T08:00:00', now), '2026-11-01 08:00');
  assert.equal(ago(null, now), '-');
  assert.equal(ago('not a time', now), 'not a time');
  assert.equal(shortId('07b1a6de-1f96-43c5-aaa3-6016ebe6a5a1'), '07b1a6de');
  assert.equal(shortId(null), '-');
  assert.equal(clockTime('2026-12-06T02:55:31.866Z'), '02:55:31.866');
  assert.equal(clockTime('2026-12-06T02:55:31'), '02:55:31');
  assert.equal(clockTime('yesterday'), 'yesterday');
});

test('a job says what it does', () => {
  assert.equal(jobLabel('provider-operation', { action: 'create', target: { type: 'member', id: 'x' } }), 'create member');
  assert.equal(jobLabel('failover-drill', { loadBalancerId: 'x' }), 'failover-drill');
  assert.equal(jobLabel('provider-operation', null), 'provider-operation');
  assert.equal(nonZeroCounters({ accepted: 10, bad_mac: 0, received: 12 }), 'received 12 · accepted 10');
  assert.equal(nonZeroCounters({ stale: 0 }), '');
  assert.equal(nonZeroCounters(undefined), '');
});
