// A host gone quiet as a whole (its agent restarting) holds its amphorae's failovers for a
// grace period; one amphora silent on a host that is still heard is failed over as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostQuietMs, quietHosts, waitsAfterReturn, waitsForHost, type HeardAmphora } from '../../src/health/host-silence.ts';

const S = { intervalMs: 1000, timeoutMs: 3000, graceMs: 15_000 };
const NOW = 1_000_000;

/** Amphorae of host `h`, last heard `ages` ms ago; silent past the timeout. */
function host(h: string, ages: number[]): HeardAmphora[] {
  return ages.map((age, i) => ({ id: `${h}-${i}`, host: h, silent: age > S.timeoutMs, lastHeardMs: NOW - age }));
}

test('the quiet threshold lies between a live host and the first silence of a dead one', () => {
  const quiet = hostQuietMs(S);
  // A live agent sends for every amphora once per interval.
  assert.ok(quiet > S.intervalMs);
  // The amphorae of a dead agent cross the timeout within half an interval of each other.
  assert.ok(quiet < S.timeoutMs - S.intervalMs / 2);
});

test('one silent amphora on a host still heard is not held back', () => {
  const amphorae = host('h1', [3100, 200, 900]);
  const quiet = quietHosts(amphorae, NOW, S);
  assert.equal(quiet.size, 0);
  assert.equal(waitsForHost(amphorae[0], quiet, NOW), false);
});

test('the first amphora of a dead host to turn silent already waits for its host', () => {
  // The agent died 2.6 s ago; its amphorae were last heard within half an interval before that.
  const amphorae = host('h1', [3050, 2900, 2600]);
  const quiet = quietHosts(amphorae, NOW, S);
  const q = quiet.get('h1');
  assert.ok(q);
  assert.equal(q.amphorae, 3);
  assert.equal(q.lastHeardMs, NOW - 2600);
  assert.equal(q.graceEndsMs, NOW - 2600 + S.timeoutMs + S.graceMs);
  assert.equal(waitsForHost(amphorae[0], quiet, NOW), true);
  // Not silent yet: nothing to hold.
  assert.equal(waitsForHost(amphorae[2], quiet, NOW), false);
});

test('after the grace, the silent amphorae of a quiet host may be failed over', () => {
  const age = S.timeoutMs + S.graceMs + 1;
  const amphorae = host('h1', [age, age]);
  const quiet = quietHosts(amphorae, NOW, S);
  assert.ok(quiet.has('h1'));
  assert.equal(waitsForHost(amphorae[0], quiet, NOW), false);
  assert.equal(waitsForHost(amphorae[0], quiet, NOW - 2), true);
});

test('a manager that just started counts the grace from its own start, not from an old last heartbeat', () => {
  const amphorae = host('h1', [600_000, 600_000]);
  const startedAt = NOW - 4000;
  const quiet = quietHosts(amphorae, NOW, S, startedAt);
  assert.equal(quiet.get('h1')?.graceEndsMs, startedAt + S.timeoutMs + S.graceMs);
  assert.equal(waitsForHost(amphorae[0], quiet, NOW), true);
  // Without that, the grace would be long spent.
  assert.equal(waitsForHost(amphorae[0], quietHosts(amphorae, NOW, S), NOW), false);
});

test('hosts are judged apart; an amphora without a known host is judged alone', () => {
  const amphorae = [...host('dead', [3500, 3200]), ...host('live', [3500, 100]), { id: 'x', host: null, silent: true, lastHeardMs: NOW - 5000 }];
  const quiet = quietHosts(amphorae, NOW, S);
  assert.deepEqual([...quiet.keys()], ['dead']);
  assert.equal(waitsForHost(amphorae[0], quiet, NOW), true);
  assert.equal(waitsForHost(amphorae[2], quiet, NOW), false);
  assert.equal(waitsForHost(amphorae[4], quiet, NOW), false);
});

test('an amphora not heard yet from a host just heard again waits a heartbeat timeout, then counts', () => {
  // The returning agent's first heartbeat was for amphora 0; amphora 1's is still to come.
  const amphorae = host('h1', [50, 20_000]);
  const returnedAt = NOW - 50;
  assert.equal(quietHosts(amphorae, NOW, S).size, 0, 'the host is heard');
  assert.equal(waitsForHost(amphorae[1], quietHosts(amphorae, NOW, S), NOW), false);
  assert.equal(waitsAfterReturn(amphorae[1], returnedAt, NOW, S), true);
  assert.equal(waitsAfterReturn(amphorae[1], returnedAt, returnedAt + S.timeoutMs, S), false);
  // A host that never went quiet holds nothing back.
  assert.equal(waitsAfterReturn(amphorae[1], undefined, NOW, S), false);
  assert.equal(waitsAfterReturn(amphorae[0], returnedAt, NOW, S), false, 'heard: not silent');
});
