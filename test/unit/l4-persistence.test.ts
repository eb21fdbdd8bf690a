// The clients a live table's persistence maps remember, read from `nft -j` (the shape nft 1.0.6
// prints: an element with a timeout is `{ elem: { val, expires } }`), joined across the address
// and port maps of each listener and family.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRemembered } from '../../src/agent/l4-persistence.ts';

const L = 'bbbbbbbb-0000-4000-8000-000000000001';
const map = (name: string, type: string, elem: unknown[]) => ({ map: { family: 'inet', name, table: 'fulcrum_l4', type: 'ipv4_addr', map: type, flags: ['timeout'], timeout: 60, elem } });

test('address and port maps join into remembered clients with the seconds they have left', () => {
  const json = JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      map(`persist4a-${L}`, 'ipv4_addr', [
        [{ elem: { val: '192.0.2.0', expires: 41 } }, '10.0.1.1'],
        [{ elem: { val: '198.51.100.0', expires: 3 } }, '10.0.1.2'],
        ['203.0.113.0', '10.0.1.1'],
      ]),
      map(`persist4p-${L}`, 'inet_service', [
        [{ elem: { val: '192.0.2.0', expires: 40 } }, 514],
        ['203.0.113.0', 514],
      ]),
      map('not-ours', 'ipv4_addr', [['192.0.2.1', '10.0.0.1']]),
      { rule: { comment: 'member x y in', expr: [] } },
    ],
  });
  const remembered = parseRemembered(json);
  assert.deepEqual([...remembered.keys()], [`persist4a-${L}`]);
  assert.deepEqual(remembered.get(`persist4a-${L}`), [
    { client: '192.0.2.0', address: '10.0.1.1', port: 514, expiresS: 40 },
    // No expiry shown: the map's own timeout.
    { client: '203.0.113.0', address: '10.0.1.1', port: 514, expiresS: 60 },
  ]);
});

test('a table without persistence maps remembers no one', () => {
  assert.equal(parseRemembered(JSON.stringify({ nftables: [{ table: { family: 'inet', name: 'fulcrum_l4' } }] })).size, 0);
});
