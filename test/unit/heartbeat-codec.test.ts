// The heartbeat wire format: a packet opens only with its key, unaltered, fresh and whole;
// every other packet is refused with a reason, never with an unexpected exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { createHmac } from 'node:crypto';
import {
  decodeBody,
  encodeHeartbeat,
  HeartbeatRejected,
  MAX_BODY_BYTES,
  MAX_PACKET_BYTES,
  openHeartbeat,
  parsePacket,
  type Heartbeat,
} from '../../src/agent/heartbeat-codec.ts';

const KEY = randomBytes(32);
const NOW = 1_780_000_000_000;
const hb = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  amphora_id: '0b6d7a8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
  seq: 42,
  ts: NOW,
  haproxy: { running: true, epoch: '123.456' },
  proxies: [
    { p: 'l1', s: 'FRONTEND', st: 'OPEN', c: [1, 2, 3, 4, 5, 6, 7] },
    { p: 'l2', s: 'FRONTEND', st: 'OPEN', c: [1, 2, 3, 4, 5] },
    { p: 'p1', s: 'BACKEND', st: 'UP' },
    { p: 'p1', s: 'm1', st: 'DOWN' },
  ],
  ...over,
});
const keys = (id: string) => (id === 'k1' ? KEY : undefined);

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof HeartbeatRejected, `expected HeartbeatRejected, got ${String(err)}`);
    return err.reason;
  }
  assert.fail('accepted');
}

test('a heartbeat round-trips through encode and open', () => {
  const packet = encodeHeartbeat(hb(), 'k1', KEY);
  const opened = openHeartbeat(packet, keys, NOW + 500, 10_000);
  assert.equal(opened.keyId, 'k1');
  assert.deepEqual(opened.heartbeat, hb());
});

test('the body is compressed: 500 members fit in one datagram', () => {
  const proxies = Array.from({ length: 500 }, (_, i) => ({ p: '0b6d7a8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b', s: `0b6d7a8e-1c2d-4e5f-8a9b-${String(i).padStart(12, '0')}`, st: 'UP' }));
  const packet = encodeHeartbeat(hb({ proxies }), 'k1', KEY);
  assert.ok(packet.length < JSON.stringify(proxies).length / 3, `${packet.length} bytes`);
  assert.equal(openHeartbeat(packet, keys, NOW, 10_000).heartbeat.proxies.length, 500);
});

test('another key, an unknown key id, or any altered byte is refused', () => {
  const packet = encodeHeartbeat(hb(), 'k1', KEY);
  assert.equal(reason(() => openHeartbeat(encodeHeartbeat(hb(), 'k1', randomBytes(32)), keys, NOW, 10_000)), 'bad_mac');
  assert.equal(reason(() => openHeartbeat(encodeHeartbeat(hb(), 'k2', KEY), keys, NOW, 10_000)), 'unknown_key');
  for (let i = 4; i < packet.length; i++) {
    const altered = Buffer.from(packet);
    altered[i] ^= 0x01;
    const r = reason(() => openHeartbeat(altered, keys, NOW, 10_000));
    assert.ok(['bad_mac', 'unknown_key', 'bad_magic', 'truncated'].includes(r), `byte ${i}: ${r}`);
  }
});

test('truncated, oversized and foreign datagrams are refused before any MAC', () => {
  const packet = encodeHeartbeat(hb(), 'k1', KEY);
  for (const n of [0, 1, 4, 5, 8, 20, 39]) assert.equal(reason(() => parsePacket(packet.subarray(0, n))), 'truncated', `${n} bytes`);
  assert.equal(reason(() => openHeartbeat(packet.subarray(0, packet.length - 3), keys, NOW, 10_000)), 'bad_mac');
  assert.equal(reason(() => parsePacket(Buffer.alloc(MAX_PACKET_BYTES + 1))), 'oversized');
  assert.equal(reason(() => parsePacket(Buffer.from('GET / HTTP/1.1\r\n\r\n'))), 'bad_magic');
  const badId = Buffer.from(packet);
  badId[5] = 0x20; // a space in the key id
  assert.equal(reason(() => parsePacket(badId)), 'bad_magic');
});

test('a timestamp outside the window is stale, either side', () => {
  const packet = encodeHeartbeat(hb(), 'k1', KEY);
  assert.equal(reason(() => openHeartbeat(packet, keys, NOW + 10_001, 10_000)), 'stale');
  assert.equal(reason(() => openHeartbeat(packet, keys, NOW - 10_001, 10_000)), 'stale');
});

/** A correctly signed packet around an arbitrary body, as a key holder could send. */
function signed(body: Buffer): Buffer {
  const header = Buffer.concat([Buffer.from('FHB1'), Buffer.from([2]), Buffer.from('k1')]);
  const mac = createHmac('sha256', KEY).update(header).update(body).digest();
  return Buffer.concat([header, mac, body]);
}

test('a signed body that is not a heartbeat is refused, a compression bomb included', () => {
  assert.equal(reason(() => openHeartbeat(signed(Buffer.from('not deflate')), keys, NOW, 10_000)), 'bad_body');
  assert.equal(reason(() => openHeartbeat(signed(deflateRawSync(Buffer.from('{"amphora_id": 1}'))), keys, NOW, 10_000)), 'bad_body');
  assert.equal(reason(() => openHeartbeat(signed(deflateRawSync(Buffer.from('[]'))), keys, NOW, 10_000)), 'bad_body');
  const bomb = deflateRawSync(Buffer.alloc(MAX_BODY_BYTES + 1, 0x20));
  assert.ok(bomb.length < MAX_PACKET_BYTES);
  assert.equal(reason(() => openHeartbeat(signed(bomb), keys, NOW, 10_000)), 'bad_body');
  for (const bad of [
    { ...hb(), seq: -1 },
    { ...hb(), seq: 1.5 },
    { ...hb(), amphora_id: '../etc' },
    { ...hb(), haproxy: { running: 'yes', epoch: null } },
    { ...hb(), proxies: [{ p: 'l1', s: 'FRONTEND', st: 'OPEN', c: [1, 2, 3] }] },
    { ...hb(), proxies: [{ p: 'l1', s: 'FRONTEND', st: 'OPEN', c: [1, 2, 3, 4, -5] }] },
    { ...hb(), proxies: [{ p: 'l1', s: 'FRONTEND', st: 'OPEN', c: [1, 2, 3, 4, 5, 6] }] },
  ]) {
    assert.equal(reason(() => decodeBody(deflateRawSync(Buffer.from(JSON.stringify(bad))))), 'bad_body', JSON.stringify(bad));
  }
});

test('1000 random datagrams are all refused with a reason', () => {
  const reasons = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const junk = randomBytes(i % 3 === 0 ? 100 : i);
    if (i % 2 === 0) Buffer.from('FHB1').copy(junk);
    reasons.add(reason(() => openHeartbeat(junk, keys, NOW, 10_000)));
  }
  assert.ok(reasons.size >= 2, [...reasons].join(','));
});
