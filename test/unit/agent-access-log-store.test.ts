// An amphora's access log on disk: bounded in bytes and in age, numbered across restarts, read
// by sequence, time and count.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, existsSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessLogStore } from '../../src/agent/access-log-store.ts';
import { truncateIfOver } from '../../src/agent/log-rotation.ts';

let dir = '';
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fulcrum-access-log-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const HOUR = 3600_000;
const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);

test('many more lines than fit: the files never exceed the bound, and the newest lines are kept', () => {
  const path = join(dir, 'access.log');
  let now = Date.parse('2026-12-06T00:00:00Z');
  const store = new AccessLogStore(path, { maxBytes: 65_536, retentionMs: 24 * HOUR }, () => now);
  store.open();
  let largest = 0;
  for (let i = 0; i < 5000; i++) {
    now += 10;
    store.append(now, 'listener-1', `client "GET /item/${i} HTTP/1.1" 200 ${'x'.repeat(100)}`);
    if (i % 50 === 0) {
      store.flush();
      largest = Math.max(largest, size(path) + size(`${path}.1`));
    }
  }
  store.flush();
  largest = Math.max(largest, size(path) + size(`${path}.1`));
  assert.ok(largest <= 65_536, `${largest} bytes`);
  assert.equal(store.diskBytes(), size(path) + size(`${path}.1`));
  const all = store.read({ limit: 10_000 });
  assert.equal(all.at(-1)?.message.includes('/item/4999 '), true);
  assert.ok(all.length < 5000 && all.length > 100, `${all.length} kept`);
  assert.deepEqual(all.map((e) => e.seq), [...all.keys()].map((k) => all[0]!.seq + k), 'a contiguous tail, in order');
  store.close();
});

test('age: lines older than the retention are neither answered nor kept on disk', () => {
  const path = join(dir, 'access.log');
  let now = Date.parse('2026-12-06T00:00:00Z');
  const store = new AccessLogStore(path, { maxBytes: 1024 * 1024, retentionMs: HOUR }, () => now);
  store.open();
  store.append(now, 'l', 'old line');
  store.flush();
  now += 40 * 60_000;
  store.sweep(); // the current file's first line is past half the retention: rotated
  store.append(now, 'l', 'newer line');
  assert.deepEqual(store.read({ limit: 10 }).map((e) => e.message), ['old line', 'newer line']);
  now += 30 * 60_000;
  assert.deepEqual(store.read({ limit: 10 }).map((e) => e.message), ['newer line'], 'past the retention: not answered');
  store.sweep();
  const onDisk = [path, `${path}.1`].map((p) => (existsSync(p) ? readFileSync(p, 'utf8') : '')).join('');
  assert.ok(!onDisk.includes('old line'), 'the old line left the disk');
  assert.ok(onDisk.includes('newer line'));
  now += 61 * 60_000;
  store.sweep();
  store.sweep();
  assert.equal(store.diskBytes(), 0, 'past the retention, nothing is left');
  assert.deepEqual(store.read({ limit: 10 }), []);
  store.close();
});

test('reads by sequence, time and count; the sequence continues after a reopen', () => {
  const path = join(dir, 'access.log');
  const t0 = Date.parse('2026-12-06T00:00:00Z');
  const now = () => t0 + 10_000;
  const store = new AccessLogStore(path, { maxBytes: 1024 * 1024, retentionMs: HOUR }, now);
  store.open();
  for (let i = 1; i <= 5; i++) store.append(t0 + i * 1000, 'l', `line ${i}`);
  assert.deepEqual(store.read({ limit: 2 }).map((e) => e.message), ['line 4', 'line 5'], 'the newest `limit`');
  assert.deepEqual(store.read({ afterSeq: 3, limit: 10 }).map((e) => e.seq), [4, 5]);
  assert.deepEqual(store.read({ sinceMs: t0 + 2000, limit: 10 }).map((e) => e.message), ['line 2', 'line 3', 'line 4', 'line 5']);
  const first = store.read({ limit: 1 })[0]!;
  assert.deepEqual(Object.keys(first).sort(), ['listener_id', 'message', 'seq', 'time']);
  assert.equal(first.time, new Date(t0 + 5000).toISOString());
  store.close();
  // A line cut by a crash is skipped, the others survive; numbering goes on.
  writeFileSync(path, `${readFileSync(path, 'utf8')}{"s":6,"t":"2026-12`);
  const again = new AccessLogStore(path, { maxBytes: 1024 * 1024, retentionMs: HOUR }, now);
  again.open();
  assert.equal(again.lastSeq, 5);
  assert.equal(again.append(t0 + 6000, 'l', 'line 6').seq, 6);
  assert.deepEqual(again.read({ afterSeq: 4, limit: 10 }).map((e) => e.message), ['line 5', 'line 6']);
  again.close();
});

test('copytruncate keeps an appended-to log under its bound, the tail in <file>.1 from a line start', () => {
  const path = join(dir, 'haproxy.log');
  writeFileSync(path, Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n');
  assert.equal(truncateIfOver(path, 100_000), false, 'under the bound: untouched');
  assert.equal(truncateIfOver(path, 2000), true);
  assert.equal(size(path), 0);
  const kept = readFileSync(`${path}.1`, 'utf8');
  assert.ok(kept.length <= 1000);
  assert.match(kept, /^line \d+\n/);
  assert.ok(kept.endsWith('line 999\n'));
});
