// An agent belongs to its base directory (for the local agent: `<data dir>/agent/run`). When
// that directory is deleted — or replaced by another with the same name — the amphorae it
// described are gone with it, nothing will ever adopt their daemons again, and the agent only
// holds its port and VIPs from whoever comes next. So it stops every daemon it runs and exits.
import { stat } from 'node:fs/promises';

const CHECK_MS = 1000;

/** A freed inode number is handed out again at once, so a new directory is told apart by its birth time. */
export interface DirIdentity {
  dev: number;
  ino: number;
  birth: number;
}

export async function dirIdentity(path: string): Promise<DirIdentity | null> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? { dev: s.dev, ino: s.ino, birth: s.birthtimeMs } : null;
  } catch {
    return null;
  }
}

/** Calls `onGone` once when `path` no longer is the directory it was when watching began. */
export async function watchDirectory(path: string, onGone: () => void, intervalMs = CHECK_MS): Promise<() => void> {
  const first = await dirIdentity(path);
  if (!first) throw new Error(`${path} is not a directory`);
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    void dirIdentity(path).then((now) => {
      checking = false;
      if (now && now.dev === first.dev && now.ino === first.ino && now.birth === first.birth) return;
      clearInterval(timer);
      onGone();
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
