// The embedded database's lock on a real directory: a live owner keeps others out, a lock left
// by a process that died (kill -9, power cut) is taken over at once instead of after the stale
// time, and a stale lock whose owner pid looks alive (a reused pid) is still taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockEmbeddedDir } from '../../src/db/embedded-lock.ts';

/** The pid of a process that has exited and been reaped. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

function withDir(fn: (dir: string, lockDir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fulcrum-lock-'));
    try {
      await fn(dir, join(dir, 'fulcrum.lock'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'a live owner keeps the lock; releasing leaves nothing behind',
  withDir(async (dir, lockDir) => {
    const release = await lockEmbeddedDir(dir, 10_000);
    assert.equal(readFileSync(join(lockDir, 'owner'), 'utf8').trim(), String(process.pid));
    await assert.rejects(lockEmbeddedDir(dir, 10_000), (err: NodeJS.ErrnoException) => err.code === 'ELOCKED');
    await release();
    assert.equal(existsSync(lockDir), false);
    await (await lockEmbeddedDir(dir, 10_000))();
  }),
);

test(
  'a fresh lock left by a dead process is taken over at once',
  withDir(async (dir, lockDir) => {
    mkdirSync(lockDir);
    writeFileSync(join(lockDir, 'owner'), `${deadPid()}\n`);
    const release = await lockEmbeddedDir(dir, 10_000);
    assert.equal(readFileSync(join(lockDir, 'owner'), 'utf8').trim(), String(process.pid));
    await release();
  }),
);

test(
  'a lock without an owner file (an older Fulcrum, or one just being taken) is left alone until stale',
  withDir(async (dir, lockDir) => {
    mkdirSync(lockDir);
    await assert.rejects(lockEmbeddedDir(dir, 10_000), (err: NodeJS.ErrnoException) => err.code === 'ELOCKED');
    assert.ok(existsSync(lockDir));
  }),
);

test(
  'a stale lock naming a live pid (reused after a reboot) is taken over',
  withDir(async (dir, lockDir) => {
    mkdirSync(lockDir);
    writeFileSync(join(lockDir, 'owner'), '1\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockDir, old, old);
    const release = await lockEmbeddedDir(dir, 10_000);
    assert.equal(readFileSync(join(lockDir, 'owner'), 'utf8').trim(), String(process.pid));
    await release();
  }),
);

test(
  'the owner file does not make proper-lockfile think its lock was taken (it checks the mtime it set)',
  withDir(async (dir) => {
    let compromised: unknown = null;
    const listener = (err: unknown) => (compromised = err);
    process.on('uncaughtException', listener);
    try {
      const release = await lockEmbeddedDir(dir, 2_000);
      // proper-lockfile refreshes every `stale / 2` here and checks the mtime each time.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await release();
    } finally {
      process.off('uncaughtException', listener);
    }
    assert.equal(compromised, null);
  }),
);
