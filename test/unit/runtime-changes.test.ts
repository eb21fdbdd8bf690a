// Which member changes go through HAProxy's runtime API, and the commands they become.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeCommands } from '../../src/providers/amphora/runtime-changes.ts';
import { ref, type ProviderOperation } from '../../src/model/operation.ts';
import type { LbGraph } from '../../src/model/lb-graph.ts';

const LB = '11111111-1111-4111-8111-111111111111';
const L1 = '22222222-2222-4222-8222-222222222222';
const L2 = '33333333-3333-4333-8333-333333333333';
const POOL = '44444444-4444-4444-8444-444444444444';
const M = '55555555-5555-4555-8555-555555555555';

function graph(weight: number, up: boolean): LbGraph {
  const listener = (id: string, port: number) => ({ id, protocol: 'HTTP', protocol_port: port, default_pool_id: POOL, admin_state_up: true, l7policies: [] });
  return {
    loadBalancer: { id: LB },
    listeners: [listener(L1, 80), listener(L2, 81)],
    pools: [{ id: POOL, admin_state_up: true, members: [{ id: M, weight, admin_state_up: up }], healthMonitor: null }],
  } as unknown as LbGraph;
}

const update = (changes: Record<string, unknown>): ProviderOperation => ({
  action: 'update',
  target: ref('member', M),
  loadBalancerId: LB,
  provider: 'amphora',
  created: [],
  updated: [ref('member', M)],
  deleted: [],
  locked: [],
  changes,
});

test('weight and admin state become set server commands on every backend of the pool', () => {
  assert.deepEqual(runtimeCommands(update({ weight: 7, admin_state_up: false }), graph(7, false)), [
    `set server ${POOL}:${L1}/${M} weight 7`,
    `set server ${POOL}:${L1}/${M} state maint`,
    `set server ${POOL}:${L2}/${M} weight 7`,
    `set server ${POOL}:${L2}/${M} state maint`,
  ]);
  assert.deepEqual(runtimeCommands(update({ admin_state_up: true }), graph(1, true)), [
    `set server ${POOL}:${L1}/${M} state ready`,
    `set server ${POOL}:${L2}/${M} state ready`,
  ]);
});

test('a rename needs no command and no reload', () => {
  assert.deepEqual(runtimeCommands(update({ name: 'x' }), graph(1, true)), []);
});

test('anything else needs a reload', () => {
  assert.equal(runtimeCommands(update({ monitor_port: 8080 }), graph(1, true)), null);
  assert.equal(runtimeCommands(update({ weight: 2, backup: true }), graph(2, true)), null);
  assert.equal(runtimeCommands({ ...update({ weight: 2 }), action: 'create' }, graph(2, true)), null);
  assert.equal(runtimeCommands({ ...update({ weight: 2 }), target: ref('pool', POOL) }, graph(2, true)), null);
});

test('a UDP member has no HAProxy server: no command (nftables takes the change)', () => {
  const g = graph(3, false);
  g.listeners = g.listeners.map((l) => ({ ...l, protocol: 'UDP' }));
  assert.deepEqual(runtimeCommands(update({ weight: 3, admin_state_up: false }), g), []);
});
