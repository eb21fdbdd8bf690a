import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom, testSeed } from '../helpers/seeded-random.ts';

test('one seed, one sequence; another seed, another; every number in [0, 1)', () => {
  const a = Array.from({ length: 50 }, seededRandom(42));
  const b = Array.from({ length: 50 }, seededRandom(42));
  const c = Array.from({ length: 50 }, seededRandom(43));
  assert.equal(a.length, 50);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.deepEqual(a.filter((x) => !(x >= 0 && x < 1)), []);
});

test('FULCRUM_TEST_SEED is taken when given, refused when not a seed', () => {
  assert.equal(testSeed({ FULCRUM_TEST_SEED: '1234' }), 1234);
  assert.throws(() => testSeed({ FULCRUM_TEST_SEED: 'abc' }), /FULCRUM_TEST_SEED/);
  assert.throws(() => testSeed({ FULCRUM_TEST_SEED: '4294967296' }), /FULCRUM_TEST_SEED/);
  const drawn = testSeed({});
  assert.ok(Number.isInteger(drawn) && drawn >= 0);
});
