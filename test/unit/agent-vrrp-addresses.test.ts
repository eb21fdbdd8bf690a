// The addresses the agent takes away when keepalived dies: read from the virtual_ipaddress
// blocks of the keepalived.conf Fulcrum renders (the golden files), and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { placedAddresses } from '../../src/agent/vrrp-addresses.ts';

const golden = (name: string) => readFileSync(new URL(`../golden/render/${name}.keepalived.conf`, import.meta.url), 'utf8');

test('the VIP of a rendered keepalived.conf, and nothing from its other blocks', () => {
  assert.deepEqual(placedAddresses(golden('vrrp-master')), [{ cidr: '10.0.0.10/32', dev: 'eth0' }]);
});

test('additional VIPs, the other family in virtual_ipaddress_excluded included', () => {
  const found = placedAddresses(golden('vrrp-additional-vips'));
  assert.ok(found.length >= 3, JSON.stringify(found));
  assert.ok(found.some((a) => a.cidr.includes(':')), 'an IPv6 address from the excluded block');
  assert.ok(found.every((a) => a.dev === 'eth0'));
});

test('no blocks, no addresses', () => {
  assert.deepEqual(placedAddresses('global_defs {\n    router_id x\n}\n'), []);
});
