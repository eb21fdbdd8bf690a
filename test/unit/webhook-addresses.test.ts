import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressRefusal, DEFAULT_DENIED_CIDRS, literalHost, parseCidrList } from '../../src/model/webhook-addresses.ts';

const defaults = { denied: DEFAULT_DENIED_CIDRS, allowed: [] };

test('the default refuses link-local (metadata) and this-host addresses, keeps loopback and private ranges', () => {
  for (const ip of ['169.254.169.254', '169.254.0.1', 'fe80::1', '0.0.0.0', '::', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe']) {
    assert.match(addressRefusal(ip, defaults) ?? '', /where webhooks may not be delivered/, ip);
  }
  assert.match(addressRefusal('::ffff:a9fe:a9fe', defaults)!, /^169\.254\.169\.254 is in 169\.254\.0\.0\/16/);
  for (const ip of ['127.0.0.1', '::1', '10.1.2.3', '192.168.0.9', '203.0.113.5', '2001:db8::1', '169.255.0.1']) assert.equal(addressRefusal(ip, defaults), null, ip);
});

test('allowed ranges are exceptions to denied ones; host names are not judged here', () => {
  const policy = { denied: ['127.0.0.0/8', '::1/128', '10.0.0.0/8'], allowed: ['10.20.0.0/16'] };
  assert.match(addressRefusal('127.0.0.1', policy)!, /in 127\.0\.0\.0\/8/);
  assert.match(addressRefusal('[::1]', policy)!, /in ::1\/128/);
  assert.match(addressRefusal('10.9.0.1', policy)!, /in 10\.0\.0\.0\/8/);
  assert.equal(addressRefusal('10.20.3.4', policy), null);
  assert.equal(addressRefusal('hooks.example.com', policy), null);
});

test('CIDR lists: comma-separated, none for empty, a bad entry named', () => {
  assert.deepEqual(parseCidrList(' 10.0.0.0/8, fd00::/8 ,'), ['10.0.0.0/8', 'fd00::/8']);
  assert.deepEqual(parseCidrList('none'), []);
  assert.deepEqual(parseCidrList('10.0.0.0/8,10.0.0.300/8'), { problem: "'10.0.0.300/8' is not a CIDR such as 10.0.0.0/8 or fd00::/8" });
  assert.ok('problem' in (parseCidrList('169.254.169.254') as object), 'an address without a prefix is not a CIDR');
});

test('a URL host is literal when the URL parser made it an address (decimal and hex IPv4 spellings included)', () => {
  assert.equal(literalHost(new URL('http://2852039166/')), '169.254.169.254');
  assert.equal(literalHost(new URL('http://0xa9.0xfe.0xa9.0xfe/')), '169.254.169.254');
  assert.equal(literalHost(new URL('http://[::ffff:169.254.169.254]:80/')), '::ffff:a9fe:a9fe');
  assert.equal(literalHost(new URL('http://hooks.example.com/')), null);
});
