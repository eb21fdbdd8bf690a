// L7 rule rules (docs/octavia-compatibility.md §5.8): which key, compare type and value each rule type takes.
// Pure; a failure is 400 "Error parsing L7Rule: <reason>" with Octavia's reasons.
//
// Where Octavia accepts more than the amphora's HAProxy can be given safely, this is stricter,
// so an accepted rule always renders: no control characters anywhere (a tab inside a quoted
// header value included), no `'` in header and cookie names (HAProxy's sample-fetch arguments
// treat it as a quote), SSL_VERIFY_RESULT codes of at most 9 digits.
import { InvalidL7Rule } from '../errors.ts';
import type { L7Rule } from './lb-graph.ts';

export const MAX_RULES_PER_POLICY = 50;

export type L7RuleType = L7Rule['type'];
export type L7CompareType = L7Rule['compare_type'];

/** The fields that make up a rule's meaning, as stored. */
export interface L7RuleSettings {
  type: string;
  compare_type: string;
  key: string | null;
  value: string;
  invert: boolean;
}

const ALL_COMPARE_TYPES = ['REGEX', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO'];

// RFC 7230 token.
const HEADER_NAME = /^[A-Za-z0-9!#$%&*+.^_`|~-]+$/;
// RFC 6265 cookie-octet, plus "," as Octavia has it.
const COOKIE_VALUE = /^[A-Za-z0-9!#$%&'()*+,\-./:<=>?@[\]^_`{|}~]+$/;
// RFC 7230 field-value characters (visible ASCII), or a quoted string that may hold spaces.
const HEADER_VALUE = /^[\x21-\x7e]+$/;
const QUOTED_HEADER_VALUE = /^"[\x20-\x7e]*"$/;
const DN_FIELD = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

function invalidRule(message: string): never {
  throw new InvalidL7Rule(`Invalid L7 Rule: ${message}`);
}

function checkRegex(value: string): void {
  try {
    new RegExp(value);
  } catch (err) {
    throw new InvalidL7Rule(`Unable to parse regular expression: ${(err as Error).message}`);
  }
}

function checkHeaderName(key: string | null): void {
  if (!key) invalidRule('L7 rule type requires a key');
  if (!HEADER_NAME.test(key)) throw new InvalidL7Rule('Invalid characters in key');
}

function checkHeaderValue(value: string, what: string): void {
  if (!HEADER_VALUE.test(value) && !QUOTED_HEADER_VALUE.test(value)) throw new InvalidL7Rule(`Invalid characters in ${what}`);
}

/** The comparison value, by compare type: a regex must compile, anything else must fit `plain`. */
function checkValue(rule: L7RuleSettings, allowed: readonly string[], plain: (value: string) => void): void {
  if (!allowed.includes(rule.compare_type)) invalidRule('invalid comparison type for rule type');
  if (rule.compare_type === 'REGEX') checkRegex(rule.value);
  else plain(rule.value);
}

function checkSslRule(rule: L7RuleSettings): void {
  const { type } = rule;
  if (type === 'SSL_DN_FIELD') {
    if (rule.compare_type === 'REGEX') checkRegex(rule.value);
    if (!rule.key || !rule.value) invalidRule(`L7rule type ${type} needs to specify a key and a value.`);
    if (!DN_FIELD.test(rule.key)) invalidRule('Invalid L7rule distinguished name field.');
    return;
  }
  if (rule.key) invalidRule(`L7rule type ${type} does not use the "key" field.`);
  if (type === 'SSL_CONN_HAS_CERT' && rule.value.toLowerCase() !== 'true') invalidRule(`L7rule value ${rule.value} is not a boolean True string.`);
  if (type === 'SSL_VERIFY_RESULT' && !/^\d{1,9}$/.test(rule.value)) invalidRule(`L7rule type ${type} needs a int value, which is >= 0`);
  if (rule.compare_type !== 'EQUAL_TO') invalidRule(`L7rule type ${type} only supports the EQUAL_TO compare type.`);
}

/** Throws InvalidL7Rule (400) unless the rule is consistent; the checks run in Octavia's order. */
export function validateL7Rule(rule: L7RuleSettings): void {
  if (!rule.value) invalidRule('L7 rule type requires a value');
  if (CONTROL.test(rule.value)) throw new InvalidL7Rule('Invalid characters in value');
  if (rule.key !== null && CONTROL.test(rule.key)) throw new InvalidL7Rule('Invalid characters in key');
  switch (rule.type) {
    case 'HEADER':
      checkHeaderName(rule.key);
      return checkValue(rule, ALL_COMPARE_TYPES, (v) => checkHeaderValue(v, 'header value'));
    case 'COOKIE':
      checkHeaderName(rule.key);
      return checkValue(rule, ALL_COMPARE_TYPES, (v) => {
        if (!COOKIE_VALUE.test(v)) throw new InvalidL7Rule('Invalid characters in cookie value');
      });
    case 'HOST_NAME':
    case 'PATH':
      return checkValue(rule, ALL_COMPARE_TYPES, (v) => checkHeaderValue(v, 'comparison value'));
    case 'FILE_TYPE':
      return checkValue(rule, ['EQUAL_TO', 'REGEX'], (v) => checkHeaderValue(v, 'comparison value'));
    case 'SSL_CONN_HAS_CERT':
    case 'SSL_VERIFY_RESULT':
    case 'SSL_DN_FIELD':
      return checkSslRule(rule);
    default:
      invalidRule('invalid rule type');
  }
}

/** The rule after an update: the stored one with the given fields replaced (null invert → false). */
export function mergeL7Rule(stored: L7RuleSettings, input: Partial<{ type: string; compare_type: string; key: string | null; value: string; invert: boolean | null }>): L7RuleSettings {
  return {
    type: input.type ?? stored.type,
    compare_type: input.compare_type ?? stored.compare_type,
    key: input.key !== undefined ? input.key : stored.key,
    value: input.value ?? stored.value,
    invert: input.invert === undefined ? stored.invert : input.invert === true,
  };
}
