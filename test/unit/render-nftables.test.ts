// The nftables table for UDP/SCTP listeners: golden files for the representative cases (reviewed
// by hand, regenerate with UPDATE_GOLDEN=1), and the rules a golden diff would not explain.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { l4Plan, netmaskPrefix } from '../../src/amphora/render/l4-plan.ts';
import { memberSlots, renderNftables } from '../../src/amphora/render/nftables-ruleset.ts';
import { graph, listener, loadBalancer, matchGolden, member, pool } from '../helpers/graph-builder.ts';
import { l4Cases } from '../helpers/l4-cases.ts';

describe('golden nftables tables', () => {
  for (const c of l4Cases()) {
    test(`${c.name}: ${c.covers}`, () => {
      matchGolden(`${c.name}.nft`, renderNftables(l4Plan(c.graph), new Set(c.down)));
    });
  }
});

test('every file replaces the whole table, so an apply is one transaction', () => {
  for (const c of l4Cases()) {
    const text = renderNftables(l4Plan(c.graph), new Set(c.down));
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
    listeners: [{ id: 'l', protocol: 'udp' as const, vips: ['10.0.0.1'], port: 53, allowedCidrs: [], pool: { id: 'p', selection: 'round-robin' as const, sourcePrefix: null, monitor: null, members: [{ id: 'm', address: '10.0.0.2', port: 53, weight: 1, backup: false, enabled: true, probeAddress: '10.0.0.2', probePort: 53, ...over }] }, ...over }],
  });
  assert.throws(() => renderNftables(bad({ address: '10.0.0.2 } ; flush ruleset ;' })), { status: 400 });
  assert.throws(() => renderNftables(bad({ port: 70000 })), { status: 400 });
  assert.throws(() => renderNftables(bad({ id: 'l" ; flush ruleset' })), { status: 400 });
  assert.throws(() => renderNftables(bad({ allowedCidrs: ['10.0.0.0/8 } accept'] })), { status: 400 });
});
