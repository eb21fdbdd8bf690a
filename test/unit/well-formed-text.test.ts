import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasLoneSurrogate } from '../../src/api/well-formed-text.ts';

describe('hasLoneSurrogate', () => {
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
