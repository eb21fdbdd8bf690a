import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

const hasLoneSurrogate = (v: unknown) => malformedText(v)?.includes('lone surrogate') ?? false;
import { malformedText } from '../../src/api/well-formed-text.ts';

describe('malformedText', () => {
  it('finds a lone surrogate in any value or key, at any depth', () => {
    assert.equal(hasLoneSurrogate(JSON.parse('{"a":{"b":["x","\\ud800"]}}')), true);
    assert.equal(hasLoneSurrogate(JSON.parse('{"a":{"\\udc00":1}}')), true);
    assert.equal(hasLoneSurrogate('\udfff'), true);
  });

  it('accepts well-formed text, surrogate pairs included, and non-strings', () => {
    assert.equal(hasLoneSurrogate(JSON.parse('{"a":"ünï ☃ \\ud834\\udd1e","n":1,"b":true,"z":null,"l":[]}')), false);
    assert.equal(hasLoneSurrogate(null), false);
  });

  it('walks bodies nested deeper than the call stack', () => {
    const deep = JSON.parse('['.repeat(20_000) + '"\\ud800"' + ']'.repeat(20_000));
    assert.equal(hasLoneSurrogate(deep), true);
  });
});

describe('a leading byte order mark', () => {
  it('is found in any value at any depth, not elsewhere in the text', () => {
    assert.match(malformedText({ loadbalancer: { name: '\ufeffweb' } })!, /U\+FEFF/);
    assert.match(malformedText({ l: { tags: ['ok', '\ufeff'] } })!, /U\+FEFF/);
    assert.equal(malformedText({ name: 'web\ufeff', description: 'a\ufeffb' }), null);
  });
});
