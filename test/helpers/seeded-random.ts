// Random choices a test can replay: the seed comes from FULCRUM_TEST_SEED when set, else it is
// drawn and should be reported (t.diagnostic) so a failure can be run again with it:
//   FULCRUM_TEST_SEED=<seed> node --import tsx --test test/integration/flow-crash.test.ts
import { randomInt } from 'node:crypto';

export const SEED_ENV = 'FULCRUM_TEST_SEED';

/** The seed of this run: FULCRUM_TEST_SEED, or a fresh one. */
export function testSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = env[SEED_ENV];
  if (given === undefined || given === '') return randomInt(2 ** 31);
  if (!/^\d{1,10}$/.test(given) || Number(given) >= 2 ** 32) throw new Error(`${SEED_ENV} must be an integer below 2^32, got ${JSON.stringify(given)}`);
  return Number(given);
}

/** mulberry32: a small, fast generator of numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
