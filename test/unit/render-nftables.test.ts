// The nftables table for UDP/SCTP listeners: golden files for the representative cases (reviewed
// by hand, regenerate with UPDATE_GOLDEN=1), and the rules a golden diff would not explain.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { l4Plan, netmaskPrefix } from '../../src/amphora/render/l4-plan.ts';
import { memberSlots, persistenceMapOf, persistenceMaps, renderNftables } from '../../src/amphora/render/nftables-ruleset.ts';
import { graph, healthMonitor, listener, loadBalancer, matchGolden, member, pool, resetIds } from '../helpers/graph-builder.ts';
import { l4Cases } from '../helpers/l4-cases.ts';

describe('golden nftables tables', () => {
  for (const c of l4Cases()) {
    test(`${c.name}: ${c.covers}`, () => {
      matchGolden(`${c.name}.nft`, renderNftables(l4Plan(c.graph), new Set(c.down), c.remembered));
    });
  }
});

test('every file replaces the whole table, so an apply is one transaction', () => {
  for (const c of l4Cases()) {
    const text = renderNftables(l4Plan(c.graph), new Set(c.down), c.remembered);
    assert.ok(text.startsWith('table inet fulcrum_l4\ndelete table inet fulcrum_l4\n'), c.name);
  }
  assert.equal(renderNftables({ listeners: [] }), 'table inet fulcrum_l4\ndelete table inet fulcrum_l4\n', 'no UDP listener left: the table goes');
});

test('an admin-down load balancer or listener serves no UDP', () => {
  const p = pool({ protocol: 'UDP', members: [member()] });
  assert.deepEqual(l4Plan(graph(loadBalancer({ admin_state_up: false }), [listener({ protocol: 'UDP', default_pool_id: p.id })], [p])).listeners, []);
  assert.deepEqual(l4Plan(graph(loadBalancer(), [listener({ protocol: 'UDP', default_pool_id: p.id, admin_state_up: false })], [p])).listeners, []);
});

test('weights become map slots in proportion; backups only when no primary can serve', () => {
  const m = (id: string, weight: number, backup = false) => ({ id, address: '10.0.0.1', port: 1, weight, backup, enabled: true, probeAddress: '10.0.0.1', probePort: 1 });
  const slots = (members: ReturnType<typeof m>[], down: string[] = []) => memberSlots(members, new Set(down)).map((s) => s.id);
  assert.deepEqual(slots([m('a', 10), m('b', 30)]), ['a', 'b', 'b', 'b']);
  assert.deepEqual(slots([m('a', 1), m('b', 1, true)]), ['a']);
  assert.deepEqual(slots([m('a', 1), m('b', 1, true)], ['a']), ['b']);
  assert.deepEqual(slots([m('a', 0), m('b', 1)], ['b']), []);
});

test('granularity netmasks become prefix lengths; others are refused', () => {
  assert.equal(netmaskPrefix('255.255.255.255'), 32);
  assert.equal(netmaskPrefix('255.255.240.0'), 20);
  assert.throws(() => netmaskPrefix('255.0.255.0'), { status: 400 });
  assert.throws(() => netmaskPrefix('ffff::'), { status: 400 });
});

test('values that are not addresses, ports or ids never reach the file', () => {
  const bad = (over: Record<string, unknown>) => ({
    listeners: [{ id: 'l', protocol: 'udp' as const, vips: ['10.0.0.1'], port: 53, allowedCidrs: [], pool: { id: 'p', selection: 'round-robin' as const, persistence: null, monitor: null, members: [{ id: 'm', address: '10.0.0.2', port: 53, weight: 1, backup: false, enabled: true, probeAddress: '10.0.0.2', probePort: 53, ...over }] }, ...over }],
  });
  assert.throws(() => renderNftables(bad({ address: '10.0.0.2 } ; flush ruleset ;' })), { status: 400 });
  assert.throws(() => renderNftables(bad({ port: 70000 })), { status: 400 });
  assert.throws(() => renderNftables(bad({ id: 'l" ; flush ruleset' })), { status: 400 });
  assert.throws(() => renderNftables(bad({ allowedCidrs: ['10.0.0.0/8 } accept'] })), { status: 400 });
});

test('an HTTP monitor reaches the plan with its method, path, version, Host and codes', () => {
  resetIds();
  const p = pool({
    protocol: 'UDP',
    members: [member({ monitor_address: '10.0.9.9', monitor_port: 8080 })],
    healthMonitor: healthMonitor({ type: 'HTTP', http_method: 'HEAD', url_path: '/healthz', expected_codes: '200-202', http_version: 1.1, domain_name: 'health.example' }),
  });
  const plan = l4Plan(graph(loadBalancer(), [listener({ protocol: 'UDP', default_pool_id: p.id })], [p]));
  const planned = plan.listeners[0].pool!;
  assert.deepEqual(planned.monitor?.http, { method: 'HEAD', path: '/healthz', version: '1.1', host: 'health.example', expectedCodes: [200, 201, 202] });
  assert.deepEqual([planned.members[0].probeAddress, planned.members[0].probePort], ['10.0.9.9', 8080]);
  const bad = pool({ protocol: 'UDP', healthMonitor: healthMonitor({ type: 'HTTP', url_path: '/a b' }) });
  assert.throws(() => l4Plan(graph(loadBalancer(), [listener({ protocol: 'UDP', default_pool_id: bad.id })], [bad])), { status: 400 });
});

test('SOURCE_IP persistence: Octavia\'s defaults, and the pick still follows the algorithm', () => {
  resetIds();
  const p = pool({ protocol: 'UDP', session_persistence: { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: null, persistence_granularity: null }, members: [member()] });
  const planned = l4Plan(graph(loadBalancer(), [listener({ protocol: 'UDP', default_pool_id: p.id })], [p])).listeners[0].pool!;
  assert.deepEqual(planned.persistence, { timeoutS: 360, prefix: 32 });
  assert.equal(planned.selection, 'round-robin', 'LVS persistence keeps the scheduler: round robin picks, the map remembers');
});

test('a replaced table remembers the clients of members still in the map, masked keys only, never past the timeout', () => {
  resetIds();
  const stays = member({ address: '10.0.1.1', protocol_port: 514 });
  const fails = member({ address: '10.0.1.2', protocol_port: 514 });
  const p = pool({ protocol: 'UDP', session_persistence: { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: 60, persistence_granularity: '255.255.255.0' }, members: [stays, fails] });
  const plan = l4Plan(graph(loadBalancer(), [listener({ protocol: 'UDP', default_pool_id: p.id })], [p]));
  const maps = persistenceMaps(plan.listeners[0].id, 4);
  const remembered = new Map([
    [
      maps.address,
      [
        { client: '192.0.2.0', address: '10.0.1.1', port: 514, expiresS: 500 },
        { client: '198.51.100.0', address: '10.0.1.1', port: 514, expiresS: 12 },
        { client: '203.0.113.0', address: '10.0.1.2', port: 514, expiresS: 30 },
        { client: '192.0.2.7', address: '10.0.1.1', port: 514, expiresS: 30 },
        { client: '192.0.3.0', address: '10.0.1.1', port: 9999, expiresS: 30 },
      ],
    ],
  ]);
  const text = renderNftables(plan, new Set([fails.id]), remembered);
  const elements = (name: string) => new RegExp(`map ${name} \\{[^}]*elements = \\{ ([^}]*) \\}`).exec(text)?.[1];
  assert.equal(elements(maps.address), '192.0.2.0 timeout 60s expires 60s : 10.0.1.1, 198.51.100.0 timeout 60s expires 12s : 10.0.1.1');
  assert.equal(elements(maps.port), '192.0.2.0 timeout 60s expires 60s : 514, 198.51.100.0 timeout 60s expires 12s : 514');
  assert.match(text, new RegExp(`dnat ip to ip saddr and 255\\.255\\.255\\.0 map @${maps.address} : ip saddr and 255\\.255\\.255\\.0 map @${maps.port} comment`));
  assert.match(text, new RegExp(`update @${maps.address} \\{ ip saddr and 255\\.255\\.255\\.0 : 10\\.0\\.1\\.1 \\}`), 'the live member refreshes its clients');
  assert.doesNotMatch(text, /update @\S+ \{ [^}]*: 10\.0\.1\.2 \}/, 'the failed member refreshes no one');
  assert.deepEqual(persistenceMapOf(maps.port), { listenerId: plan.listeners[0].id, family: 4, part: 'port' });
  assert.equal(persistenceMapOf('persist4a-x y'), null);
});
