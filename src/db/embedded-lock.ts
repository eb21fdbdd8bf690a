// The embedded database's inter-process lock (PGlite has none of its own: two processes on one
// directory silently lose data). proper-lockfile holds a lock directory whose mtime it keeps
// fresh; a process that died leaves it behind, and only once it is `stale` may another take
// over. After a crash (kill -9, power cut) and an immediate restart that would keep Fulcrum down
// for that long, so the owner also writes its pid into the lock directory: a lock whose owner
// is gone from this host is taken over at once.
import { readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

const OWNER = 'owner';

function ownerPid(lockDir: string): number | null {
  try {
    const text = readFileSync(join(lockDir, OWNER), 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

/** Whether `pid` names a process on this host; a zombie or a reused pid counts as alive (the safe side). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes the lock directory if its owner is gone, or if proper-lockfile found it stale (its
 * owner stopped refreshing it) but could not remove it because of the owner file. It is first
 * renamed aside (only one of several starting processes can do that), then checked again: what
 * was renamed must still name the same owner, else it was a newer process's lock and is put back.
 */
function takeOver(lockDir: string, stale: boolean): boolean {
  const owner = ownerPid(lockDir);
  if (owner === null || (!stale && exists(owner))) return false;
  const aside = `${lockDir}.dead-${process.pid}`;
  try {
    renameSync(lockDir, aside);
  } catch {
    return false;
  }
  if (ownerPid(aside) !== owner) {
    renameSync(aside, lockDir);
    return false;
  }
  rmSync(aside, { recursive: true, force: true });
  return true;
}

/** Locks `dir`; resolves with the release, rejects with ELOCKED while a live process holds it. */
export async function lockEmbeddedDir(dir: string, staleMs: number): Promise<() => Promise<void>> {
  const lockDir = join(dir, 'fulcrum.lock');
  const lock = () => lockfile.lock(dir, { lockfilePath: lockDir, stale: staleMs, update: 2_000 });
  let release: () => Promise<void>;
  try {
    release = await lock();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!(code === 'ELOCKED' || code === 'ENOTEMPTY') || !takeOver(lockDir, code === 'ENOTEMPTY')) throw err;
    release = await lock();
  }
  // proper-lockfile treats a lock whose mtime it did not set as taken from it: writing the file
  // changes the directory's mtime, so it is set back.
  const { atime, mtime } = statSync(lockDir);
  writeFileSync(join(lockDir, OWNER), `${process.pid}\n`);
  utimesSync(lockDir, atime, mtime);
  return async () => {
    // The lock directory must be empty for proper-lockfile to remove it.
    rmSync(join(lockDir, OWNER), { force: true });
    await release();
  };
}
