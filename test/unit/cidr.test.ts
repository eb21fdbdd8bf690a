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
