// How operations settle statuses (docs/octavia-compatibility.md §4.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failureStatuses, successStatuses } from '../../src/model/completion.ts';
import { ref, type ProviderOperation } from '../../src/model/operation.ts';

const op = (over: Partial<ProviderOperation>): ProviderOperation => ({
  action: 'create',
  target: ref('pool', 'p1'),
  loadBalancerId: 'lb1',
  provider: 'noop',
  created: [],
  updated: [],
  deleted: [],
  locked: [],
  ...over,
});

test('child create success: child and locked parents ACTIVE, LB ACTIVE', () => {
  const u = successStatuses(op({ created: [ref('pool', 'p1')], locked: [ref('listener', 'l1')] }));
  assert.deepEqual(u.pool, [{ id: 'p1', provisioning_status: 'ACTIVE' }]);
  assert.deepEqual(u.listener, [{ id: 'l1', provisioning_status: 'ACTIVE' }]);
  assert.deepEqual(u.loadbalancer, [{ id: 'lb1', provisioning_status: 'ACTIVE' }]);
});

test('child delete success marks the child DELETED and unlocks the LB', () => {
  const u = successStatuses(op({ action: 'delete', deleted: [ref('pool', 'p1')] }));
  assert.deepEqual(u.pool, [{ id: 'p1', provisioning_status: 'DELETED' }]);
  assert.deepEqual(u.loadbalancer, [{ id: 'lb1', provisioning_status: 'ACTIVE' }]);
});

test('LB delete success leaves only the LB DELETED', () => {
  const u = successStatuses(op({ action: 'delete', target: ref('loadbalancer', 'lb1'), deleted: [ref('loadbalancer', 'lb1')] }));
  assert.deepEqual(u, { loadbalancer: [{ id: 'lb1', provisioning_status: 'DELETED' }] });
});

test('child failure: child ERROR, parents and LB back to ACTIVE', () => {
  const u = failureStatuses(op({ action: 'update', updated: [ref('pool', 'p1')], locked: [ref('listener', 'l1')] }));
  assert.deepEqual(u.pool, [{ id: 'p1', provisioning_status: 'ERROR' }]);
  assert.deepEqual(u.listener, [{ id: 'l1', provisioning_status: 'ACTIVE' }]);
  assert.deepEqual(u.loadbalancer, [{ id: 'lb1', provisioning_status: 'ACTIVE' }]);
});

test('child delete failure: child ERROR (not removed)', () => {
  const u = failureStatuses(op({ action: 'delete', deleted: [ref('member', 'm1')], target: ref('member', 'm1') }));
  assert.deepEqual(u.member, [{ id: 'm1', provisioning_status: 'ERROR' }]);
});

test('LB create or update failure leaves the LB in ERROR', () => {
  for (const action of ['create', 'update', 'delete'] as const) {
    const u = failureStatuses(op({ action, target: ref('loadbalancer', 'lb1'), created: [ref('loadbalancer', 'lb1')] }));
    assert.deepEqual(u.loadbalancer, [{ id: 'lb1', provisioning_status: 'ERROR' }], action);
  }
});
