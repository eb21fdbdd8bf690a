// The member batch diff: desired-state matching on (address, protocol_port), restated
// defaults, additive_only, and what counts as "nothing to change".
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertUniqueMembers, isEmptyPlan, planMemberBatch, type ExistingMember } from '../../src/model/member-batch.ts';
import { MEMBER_DEFAULTS } from '../../src/model/member.ts';

function existing(id: string, address: string, protocol_port: number, extra: Partial<ExistingMember> = {}): ExistingMember {
  return { ...MEMBER_DEFAULTS, id, address, protocol_port, ...extra };
}

const pool = [existing('a', '10.0.0.1', 80), existing('b', '10.0.0.2', 80, { weight: 7, name: 'kept' }), existing('c', '10.0.0.3', 80)];

describe('planMemberBatch', () => {
  test('creates the new, updates the changed, deletes the unlisted', () => {
    const plan = planMemberBatch(
      pool,
      [
        { address: '10.0.0.1', protocol_port: 80 },
        { address: '10.0.0.2', protocol_port: 80, weight: 3 },
        { address: '10.0.0.4', protocol_port: 80, name: 'new' },
      ],
      false,
    );
    assert.deepEqual(plan.create, [{ address: '10.0.0.4', protocol_port: 80, name: 'new' }]);
    assert.deepEqual(plan.update, [{ id: 'b', changes: { weight: 3 } }]);
    assert.deepEqual(plan.delete, ['c']);
  });

  test('the same address on another port is another member', () => {
    const plan = planMemberBatch(pool, [{ address: '10.0.0.1', protocol_port: 81 }], false);
    assert.equal(plan.create.length, 1);
    assert.deepEqual(plan.delete, ['a', 'b', 'c']);
  });

  test('a listed member left without weight, backup or admin_state_up gets their defaults back', () => {
    const current = [existing('x', '10.0.0.9', 80, { weight: 5, backup: true, admin_state_up: false, name: 'n', tags: ['t'] })];
    const plan = planMemberBatch(current, [{ address: '10.0.0.9', protocol_port: 80 }], false);
    assert.deepEqual(plan.update, [{ id: 'x', changes: { admin_state_up: true, weight: 1, backup: false } }]);
  });

  test('null resets like a PUT: weight to 1, admin_state_up to false', () => {
    const current = [existing('x', '10.0.0.9', 80, { weight: 5, monitor_port: 8080 })];
    const plan = planMemberBatch(current, [{ address: '10.0.0.9', protocol_port: 80, weight: null, admin_state_up: null, monitor_port: null }], false);
    assert.deepEqual(plan.update, [{ id: 'x', changes: { admin_state_up: false, weight: 1, monitor_port: null } }]);
  });

  test('tags are compared as lists', () => {
    const current = [existing('x', '10.0.0.9', 80, { tags: ['a', 'b'] })];
    assert.ok(isEmptyPlan(planMemberBatch(current, [{ address: '10.0.0.9', protocol_port: 80, tags: ['a', 'b'] }], false)));
    const plan = planMemberBatch(current, [{ address: '10.0.0.9', protocol_port: 80, tags: ['b'] }], false);
    assert.deepEqual(plan.update, [{ id: 'x', changes: { tags: ['b'] } }]);
  });

  test('additive_only keeps the unlisted members', () => {
    const plan = planMemberBatch(pool, [{ address: '10.0.0.5', protocol_port: 80 }], true);
    assert.equal(plan.create.length, 1);
    assert.deepEqual(plan.delete, []);
  });

  test('restating the current members, or an empty additive batch, changes nothing', () => {
    const same = pool.map((m) => ({ address: m.address, protocol_port: m.protocol_port, weight: m.weight }));
    assert.ok(isEmptyPlan(planMemberBatch(pool, same, false)));
    assert.ok(isEmptyPlan(planMemberBatch(pool, [], true)));
    assert.ok(isEmptyPlan(planMemberBatch([], [], false)));
    assert.ok(!isEmptyPlan(planMemberBatch(pool, [], false)), 'an empty list empties the pool');
  });
});

describe('assertUniqueMembers', () => {
  test('refuses a key listed twice', () => {
    assert.throws(
      () => assertUniqueMembers([{ address: '10.0.0.1', protocol_port: 80 }, { address: '10.0.0.1', protocol_port: 80 }]),
      { status: 400, message: 'Member must be updated only once in the same request.' },
    );
    assertUniqueMembers([{ address: '10.0.0.1', protocol_port: 80 }, { address: '10.0.0.1', protocol_port: 81 }]);
  });
});
