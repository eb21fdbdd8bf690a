// The subnet rule of additional VIPs (docs/octavia-compatibility.md §5.1): each subnet at most once, the primary
// VIP's included, whatever the case of the UUID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAdditionalVipSubnets } from '../../src/api/additional-vips.ts';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';
const DUPLICATE = /^Validation failure: Duplicate VIP subnet\(s\) specified\. Only one IP can be bound per subnet\.$/;

test('distinct subnets, none of them the primary one, pass', () => {
  assert.doesNotThrow(() => checkAdditionalVipSubnets(A, [{ subnet_id: B }, { subnet_id: C, ip_address: '10.0.0.5' }]));
  assert.doesNotThrow(() => checkAdditionalVipSubnets(A, []));
  assert.doesNotThrow(() => checkAdditionalVipSubnets(null, [{ subnet_id: B }]));
});

test('the primary subnet again is refused', () => {
  assert.throws(() => checkAdditionalVipSubnets(A, [{ subnet_id: A }]), { status: 400, message: DUPLICATE });
  assert.throws(() => checkAdditionalVipSubnets(A, [{ subnet_id: A.toUpperCase() }]), { status: 400, message: DUPLICATE });
});

test('a subnet twice is refused', () => {
  assert.throws(() => checkAdditionalVipSubnets(A, [{ subnet_id: B }, { subnet_id: C }, { subnet_id: B, ip_address: '10.0.1.9' }]), { message: DUPLICATE });
});
