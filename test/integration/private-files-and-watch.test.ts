// File modes of private dirs and keys, also over what exists already; and the watch that lets
// an agent notice its base directory is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensurePrivateDir, writePrivateFile } from '../../src/private-files.ts';
import { watchDirectory } from '../../src/agent/data-dir-watch.ts';

const mode = (p: string) => statSync(p).mode & 0o777;

test('private dirs and files are 0700/0600, also when they already existed with loose modes', () => {
  const root = mkdtempSync(join(tmpdir(), 'fulcrum-private-'));
  try {
    const fresh = join(root, 'a', 'b');
    ensurePrivateDir(fresh);
    assert.equal(mode(fresh), 0o700);
    const old = join(root, 'old');
    mkdirSync(old, { mode: 0o755 });
    assert.equal(mode(old), 0o755);
    ensurePrivateDir(old);
    assert.equal(mode(old), 0o700);
    const key = join(old, 'key.pem');
    writeFileSync(key, 'old', { mode: 0o644 });
    writePrivateFile(key, 'new');
    assert.equal(mode(key), 0o600);
    assert.equal(readFileSync(key, 'utf8'), 'new');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

async function watched(change: (dir: string) => void): Promise<{ fired: number }> {
  const root = mkdtempSync(join(tmpdir(), 'fulcrum-watch-'));
  const dir = join(root, 'run');
  mkdirSync(dir);
  const state = { fired: 0 };
  const stop = await watchDirectory(dir, () => state.fired++, 20);
  try {
    await sleep(100);
    assert.equal(state.fired, 0, 'nothing happens while the directory stays');
    change(dir);
    const deadline = Date.now() + 5000;
    while (state.fired === 0 && Date.now() < deadline) await sleep(20);
    await sleep(100);
    return state;
  } finally {
    stop();
    rmSync(root, { recursive: true, force: true });
  }
}

test('the watch fires once when the directory is removed', async () => {
  assert.equal((await watched((dir) => rmSync(dir, { recursive: true }))).fired, 1);
});

test('the watch fires when the directory is replaced by another of the same name', async () => {
  assert.equal(
    (
      await watched((dir) => {
        rmSync(dir, { recursive: true });
        mkdirSync(dir);
      })
    ).fired,
    1,
  );
});
