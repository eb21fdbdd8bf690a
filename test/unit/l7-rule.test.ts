// L7 rule rules: key, compare type and value per rule type, with Octavia's reasons, and the
// merge an update validates.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeL7Rule, validateL7Rule, type L7RuleSettings } from '../../src/model/l7-rule.ts';
import { amphoraUnsupported } from '../../src/providers/amphora/support.ts';

const rule = (over: Partial<L7RuleSettings>): L7RuleSettings => ({ type: 'PATH', compare_type: 'STARTS_WITH', key: null, value: '/api', invert: false, ...over });

function refused(over: Partial<L7RuleSettings>, reason: string | RegExp): void {
  assert.throws(() => validateL7Rule(rule(over)), {
    status: 400,
    message: typeof reason === 'string' ? `Error parsing L7Rule: ${reason}` : reason,
  }, JSON.stringify(over));
}

describe('validateL7Rule', () => {
  test('valid rules of every type pass', () => {
    const ok: Partial<L7RuleSettings>[] = [
      {},
      { type: 'HOST_NAME', compare_type: 'ENDS_WITH', value: '.example.com' },
      { type: 'PATH', compare_type: 'REGEX', value: '^/api/v[0-9]+/' },
      { type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: 'jpg' },
      { type: 'FILE_TYPE', compare_type: 'REGEX', value: '\\.(png|gif)$' },
      { type: 'HEADER', compare_type: 'CONTAINS', key: 'X-Env', value: 'canary' },
      { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'User-Agent', value: '"Mozilla 5.0 (X11)"' },
      { type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'session', value: 'a,b=c' },
      { type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'TRUE' },
      { type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '0' },
      { type: 'SSL_DN_FIELD', compare_type: 'STARTS_WITH', key: 'CN', value: 'client one' },
      { type: 'SSL_DN_FIELD', compare_type: 'REGEX', key: 'OU-x', value: '^eng' },
    ];
    for (const over of ok) validateL7Rule(rule(over));
  });

  test('value and key are checked first', () => {
    refused({ value: '' }, 'Invalid L7 Rule: L7 rule type requires a value');
    refused({ value: 'a\tb' }, 'Invalid characters in value');
    refused({ type: 'HEADER', key: null, value: 'x' }, 'Invalid L7 Rule: L7 rule type requires a key');
    refused({ type: 'COOKIE', key: '', value: 'x' }, 'Invalid L7 Rule: L7 rule type requires a key');
    refused({ type: 'HEADER', key: 'X Env', value: 'x' }, 'Invalid characters in key');
    refused({ type: 'HEADER', key: "X'Env", value: 'x' }, 'Invalid characters in key');
  });

  test('compare types allowed per rule type', () => {
    refused({ type: 'FILE_TYPE', compare_type: 'STARTS_WITH', value: 'jpg' }, 'Invalid L7 Rule: invalid comparison type for rule type');
    refused({ type: 'SSL_CONN_HAS_CERT', compare_type: 'CONTAINS', value: 'true' }, 'Invalid L7 Rule: L7rule type SSL_CONN_HAS_CERT only supports the EQUAL_TO compare type.');
    refused({ type: 'SSL_VERIFY_RESULT', compare_type: 'REGEX', value: '1' }, 'Invalid L7 Rule: L7rule type SSL_VERIFY_RESULT only supports the EQUAL_TO compare type.');
    refused({ type: 'NOPE', value: 'x' }, 'Invalid L7 Rule: invalid rule type');
  });

  test('value charsets and regexes', () => {
    refused({ value: 'two words' }, 'Invalid characters in comparison value');
    refused({ type: 'HEADER', key: 'X-A', value: 'two words' }, 'Invalid characters in header value');
    refused({ type: 'COOKIE', key: 'c', value: 'a;b' }, 'Invalid characters in cookie value');
    refused({ type: 'COOKIE', key: 'c', value: '"quoted"' }, 'Invalid characters in cookie value');
    refused({ compare_type: 'REGEX', value: '(unclosed' }, /^Error parsing L7Rule: Unable to parse regular expression: /);
    refused({ type: 'SSL_DN_FIELD', compare_type: 'REGEX', key: 'CN', value: '[' }, /Unable to parse regular expression/);
  });

  test('SSL rule keys and values', () => {
    refused({ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', key: 'x', value: 'true' }, 'Invalid L7 Rule: L7rule type SSL_CONN_HAS_CERT does not use the "key" field.');
    refused({ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'yes' }, 'Invalid L7 Rule: L7rule value yes is not a boolean True string.');
    refused({ type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '-1' }, 'Invalid L7 Rule: L7rule type SSL_VERIFY_RESULT needs a int value, which is >= 0');
    refused({ type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '1234567890' }, /needs a int value/);
    refused({ type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: null, value: 'x' }, 'Invalid L7 Rule: L7rule type SSL_DN_FIELD needs to specify a key and a value.');
    refused({ type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: '1CN', value: 'x' }, 'Invalid L7 Rule: Invalid L7rule distinguished name field.');
  });
});

describe('mergeL7Rule', () => {
  const stored = rule({ type: 'HEADER', key: 'X-A', value: 'v', invert: true });

  test('given fields replace stored ones; null invert is false; null key clears', () => {
    assert.deepEqual(mergeL7Rule(stored, { value: 'w' }), { ...stored, value: 'w' });
    assert.deepEqual(mergeL7Rule(stored, { invert: null }), { ...stored, invert: false });
    assert.deepEqual(mergeL7Rule(stored, { type: 'PATH', key: null, value: '/x' }), { ...stored, type: 'PATH', key: null, value: '/x' });
  });

  test('an update is judged on the merged rule', () => {
    assert.throws(() => validateL7Rule(mergeL7Rule(stored, { key: null })), { message: 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key' });
    validateL7Rule(mergeL7Rule(rule({}), { type: 'HEADER', key: 'X-B' }));
  });
});

describe('amphora provider and L7', () => {
  test('L7 policies only on HTTP and TERMINATED_HTTPS listeners', () => {
    for (const protocol of ['HTTP', 'TERMINATED_HTTPS']) assert.equal(amphoraUnsupported({ l7ListenerProtocol: protocol }, 'process'), null);
    for (const protocol of ['TCP', 'HTTPS']) assert.equal(amphoraUnsupported({ l7ListenerProtocol: protocol }, 'process'), `L7 policies on ${protocol} protocol listeners`);
  });
});
