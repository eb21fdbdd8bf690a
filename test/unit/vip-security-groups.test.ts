import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vipSecurityGroups } from '../../src/model/vip-security-groups.ts';
import { InvalidInput } from '../../src/errors.ts';

test('an empty or null vip_sg_ids is the empty set', () => {
  assert.deepEqual(vipSecurityGroups([]), []);
  assert.deepEqual(vipSecurityGroups(null), []);
  assert.deepEqual(vipSecurityGroups(undefined), []);
});

test('any security group id is refused as not found, naming the first', () => {
  const a = '1b6e6a52-7f2c-4a53-9f43-6f1f3c9e0a01';
  const b = '2c7f7b63-803d-4b64-a054-70204daf1b12';
  assert.throws(() => vipSecurityGroups([a, b]), (e: unknown) => e instanceof InvalidInput && e.status === 400 && e.message === `Security Group ${a} not found.`);
});
