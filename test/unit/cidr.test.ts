import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrFamily, normaliseCidr } from '../../src/model/cidr.ts';

test('CIDRs are stored in network form', () => {
  const cases: [string, string][] = [
    ['10.0.0.5/24', '10.0.0.0/24'],
    ['192.168.7.255/16', '192.168.0.0/16'],
    ['1.2.3.4/0', '0.0.0.0/0'],
    ['1.2.3.4/32', '1.2.3.4/32'],
    ['2001:db8::1/64', '2001:db8::/64'],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128'],
    ['fe80::1:2/16', 'fe80::/16'],
    ['::/0', '::/0'],
  ];
  for (const [input, expected] of cases) assert.equal(normaliseCidr(input), expected, input);
});

test('family, and rejects what is no CIDR', () => {
  assert.equal(cidrFamily('10.0.0.0/8'), 4);
  assert.equal(cidrFamily('2001:db8::/32'), 6);
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '2001:db8::/129', 'x/8', '10.0.0.0/8/8', '10.0.0.0/-1']) assert.equal(cidrFamily(bad), 0, bad);
});

test('address allocation skips the network, broadcast and taken addresses', async () => {
  const { firstFreeAddress, cidrContains } = await import('../../src/model/cidr.ts');
  assert.equal(firstFreeAddress('10.0.0.0/30', new Set()), '10.0.0.1');
  assert.equal(firstFreeAddress('10.0.0.0/30', new Set(['10.0.0.1'])), '10.0.0.2');
  assert.equal(firstFreeAddress('10.0.0.0/30', new Set(['10.0.0.1', '10.0.0.2'])), null, 'the broadcast address is never handed out');
  assert.equal(firstFreeAddress('2001:db8::/126', new Set(['2001:db8::1'])), '2001:db8::2');
  assert.ok(cidrContains('127.10.0.0/16', '127.10.3.4'));
  assert.ok(!cidrContains('127.10.0.0/16', '127.11.0.1'));
  assert.ok(!cidrContains('127.10.0.0/16', '::1'));
  assert.ok(cidrContains('2001:db8::/32', '2001:db8:ffff::1'));
});

test('host addresses: never the network or IPv4 broadcast address, except on /31 and /32', async () => {
  const { isHostAddress, firstFreeAddress } = await import('../../src/model/cidr.ts');
  assert.equal(isHostAddress('10.0.0.0/24', '10.0.0.0'), false);
  assert.equal(isHostAddress('10.0.0.0/24', '10.0.0.255'), false);
  assert.equal(isHostAddress('10.0.0.0/24', '10.0.0.254'), true);
  assert.equal(isHostAddress('10.0.0.0/24', '10.0.1.1'), false);
  assert.equal(isHostAddress('10.0.0.0/31', '10.0.0.0'), true);
  assert.equal(isHostAddress('10.0.0.0/31', '10.0.0.1'), true);
  assert.equal(isHostAddress('10.0.0.9/32', '10.0.0.9'), true);
  assert.equal(isHostAddress('2001:db8::/64', '2001:db8::'), false);
  assert.equal(isHostAddress('2001:db8::/120', '2001:db8::ff'), true, 'IPv6 has no broadcast address');
  assert.equal(firstFreeAddress('10.0.0.0/31', new Set()), '10.0.0.0');
  assert.equal(firstFreeAddress('10.0.0.4/32', new Set()), '10.0.0.4');
  assert.equal(firstFreeAddress('10.0.0.4/32', new Set(['10.0.0.4'])), null);
});

test('overlapping CIDRs share an address; adjacent ones and other families do not', async () => {
  const { cidrsOverlap } = await import('../../src/model/cidr.ts');
  assert.equal(cidrsOverlap('10.0.0.0/24', '10.0.0.0/24'), true);
  assert.equal(cidrsOverlap('10.0.0.0/24', '10.0.0.128/25'), true);
  assert.equal(cidrsOverlap('10.0.0.128/25', '10.0.0.0/16'), true);
  assert.equal(cidrsOverlap('10.0.0.0/24', '10.0.1.0/24'), false);
  assert.equal(cidrsOverlap('0.0.0.0/0', '192.168.1.1/32'), true);
  assert.equal(cidrsOverlap('2001:db8::/64', '2001:db8::8/125'), true);
  assert.equal(cidrsOverlap('2001:db8::/64', '2001:db8:0:1::/64'), false);
  assert.equal(cidrsOverlap('0.0.0.0/0', '::/0'), false);
});

test('an address has one canonical spelling', async () => {
  const { canonicalAddress } = await import('../../src/model/cidr.ts');
  assert.equal(canonicalAddress('2001:0DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(canonicalAddress('10.0.0.1'), '10.0.0.1');
});
