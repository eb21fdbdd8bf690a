// Quoting and validation of everything that reaches haproxy.cfg from outside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkCidr,
  checkCipherString,
  checkDnField,
  checkHostname,
  checkId,
  checkIp,
  checkRedirectUrl,
  checkToken,
  checkUrlPath,
  hostPort,
  parseExpectedCodes,
  quote,
  quoteLogFormat,
} from '../../src/amphora/render/haproxy-quote.ts';

const unsafe = { name: 'LB_ERR_UNSAFE_CONFIG_VALUE', status: 400 } as never;

/**
 * HAProxy's reading of one config line (configuration manual §2.2): words split on blanks, `#`
 * starts a comment, `\` escapes outside strong quotes, `"…"` quotes weakly, `'…'` strongly.
 */
function haproxyWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (c === '\\') {
      word = (word ?? '') + line[++i];
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '#') {
      break;
    } else if (c === ' ' || c === '\t') {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + c;
    }
  }
  assert.equal(quote, null, `unterminated quote in ${line}`);
  if (word !== null) words.push(word);
  return words;
}

const HOSTILE = [
  "it's",
  "''",
  'a b',
  '#not a comment',
  'x # y',
  '"double"',
  'back\\slash\\',
  "\\'",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: HAProxy expands ${VAR} in config lines; the quoting must stop it.
  '$HOME ${PATH}',
  '%[src]',
  'non-ASCII: héllo ✓ 日本',
  ' leading and trailing ',
  "x' server evil 1.2.3.4:80 '",
];

test('a quoted value is exactly one word that reads back as the value', () => {
  for (const value of HOSTILE) {
    const line = `acl r1 path -m str -- ${quote(value, 'value')} if x`;
    assert.deepEqual(haproxyWords(line), ['acl', 'r1', 'path', '-m', 'str', '--', value, 'if', 'x'], JSON.stringify(value));
  }
});

test('quoting uses strong quotes: no escape, comment or variable is interpreted inside', () => {
  assert.equal(quote('a b', 'f'), "'a b'");
  assert.equal(quote('#x', 'f'), "'#x'");
  assert.equal(quote('a\\b', 'f'), "'a\\b'");
  assert.equal(quote('$HOME', 'f'), "'$HOME'");
  assert.equal(quote("it's", 'f'), "'it'\\''s'");
});

test('values that cannot stay on one line (or in a C string) are refused', () => {
  for (const bad of ['x\n  server evil 1.2.3.4:80', 'x\r\nserver evil 1.2.3.4:80', 'x\ry', 'x\u0000y', 'tab\there', 'del\u007f', '']) {
    assert.throws(() => quote(bad, 'L7 rule value'), unsafe, JSON.stringify(bad));
  }
  assert.throws(() => quote('x\nserver evil 1.2.3.4:80', 'L7 rule value'), /Invalid value for L7 rule value/);
});

test('log-format arguments have % doubled so a tenant cannot inject sample expressions', () => {
  assert.equal(quoteLogFormat('https://x/%41%[env(SECRET)]', 'url'), "'https://x/%%41%%[env(SECRET)]'");
});

test('ids, tokens and DN fields are plain words or refused', () => {
  assert.equal(checkId('0f6c1c4e-9c7a-4b43-8d8e-2b7f4c1d9e10', 'id'), '0f6c1c4e-9c7a-4b43-8d8e-2b7f4c1d9e10');
  for (const bad of ['', 'a b', 'a\nb', 'a#b', "a'b", '-leading', 'a/b']) assert.throws(() => checkId(bad, 'id'), unsafe, bad);
  assert.equal(checkToken('X-Custom#1', 'key'), 'X-Custom#1');
  for (const bad of ['', 'a b', 'a(b', 'a)b', 'a,b', "a'b", 'a"b', 'a\\b', 'a\nb', 'ä']) assert.throws(() => checkToken(bad, 'key'), unsafe, bad);
  assert.equal(checkDnField('CN', 'key'), 'CN');
  for (const bad of ['', '1CN', 'C N', 'CN)', 'CN\n']) assert.throws(() => checkDnField(bad, 'key'), unsafe, bad);
});

test('health-check fields: path, host name, expected codes', () => {
  assert.equal(checkUrlPath('/health?x=1#frag', 'url_path'), '/health?x=1#frag');
  for (const bad of ['health', '/a b', '/a\nb', '/é', '']) assert.throws(() => checkUrlPath(bad, 'url_path'), unsafe, bad);
  assert.equal(checkHostname('app.example.com', 'domain_name'), 'app.example.com');
  for (const bad of ['a b', 'a\r\nHost: evil', 'a%[src]', '-a.example', 'a..b', '']) assert.throws(() => checkHostname(bad, 'domain_name'), unsafe, bad);
  assert.deepEqual(parseExpectedCodes('200', 'c'), [200]);
  assert.deepEqual(parseExpectedCodes('202, 200,202', 'c'), [200, 202]);
  assert.deepEqual(parseExpectedCodes('200-204', 'c'), [200, 201, 202, 203, 204]);
  for (const bad of ['', '2000', '200-199', '200|.*', '200\nserver evil 1.2.3.4:80', '200-', '20x']) {
    assert.throws(() => parseExpectedCodes(bad, 'c'), unsafe, bad);
  }
});

test('cipher strings, redirect URLs, addresses and CIDRs', () => {
  assert.equal(checkCipherString('ECDHE-RSA-AES128-GCM-SHA256:!aNULL:@SECLEVEL=1', 'c'), 'ECDHE-RSA-AES128-GCM-SHA256:!aNULL:@SECLEVEL=1');
  for (const bad of ['AES GCM', 'AES\nbind', "AES'x", 'AES#x']) assert.throws(() => checkCipherString(bad, 'c'), unsafe, bad);
  assert.equal(checkRedirectUrl('https://example.com/a?b=%20', 'u'), 'https://example.com/a?b=%20');
  for (const bad of ['ftp://example.com/', '/relative', 'https://', 'https://a b', 'https://a\nb', 'https://exämple.com']) {
    assert.throws(() => checkRedirectUrl(bad, 'u'), unsafe, bad);
  }
  for (const bad of ['10.0.0.1:80 backup', '10.0.0.1\n', 'example.com', '']) assert.throws(() => checkIp(bad, 'address'), unsafe, bad);
  assert.equal(hostPort('10.0.0.1', 80, 'a'), '10.0.0.1:80');
  // HAProxy would read a trailing group of a bare IPv6 address as the port.
  assert.equal(hostPort('2001:db8::', 80, 'a'), '[2001:db8::]:80');
  assert.throws(() => hostPort('10.0.0.1', 0, 'a'), unsafe);
  assert.equal(checkCidr('2001:db8::/32', 'c'), '2001:db8::/32');
  for (const bad of ['10.0.0.0/33', '10.0.0.0', '10.0.0.0/8 0.0.0.0/0', '10.0.0.0/8\n']) assert.throws(() => checkCidr(bad, 'c'), unsafe, bad);
});
