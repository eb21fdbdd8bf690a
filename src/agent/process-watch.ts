// Death watch for processes that are not the agent's children: the daemons a previous agent
// started and this one adopted. Their exit raises no event here (only a parent gets SIGCHLD,
// and Node 20 exposes no pidfd), so one shared timer checks all of them, instead of a timer per
// daemon. Most passes only ask the kernel whether the pid exists (`kill(pid, 0)`, no file to
// open and parse), which sees a death as soon as the process is reaped; every `fullEvery`-th
// pass reads /proc/<pid>/stat, which also sees a zombie nobody has reaped yet (PID 1 here reaps
// orphans only every ~2 s) and a pid reused by another process. The timer runs only while
// something is watched and never keeps the process alive.
import { isAlive, type ProcessIdentity } from './process-table.ts';

/** Short enough that a dead adopted haproxy is restarted within a few hundred ms. */
export const ADOPTED_CHECK_MS = 100;
/** A full /proc check every this many passes (once a second). */
export const FULL_CHECK_EVERY = 10;

/** The pid exists (alive or a zombie): one system call. */
function pidExists(process_: ProcessIdentity): boolean {
  try {
    process.kill(process_.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export interface ProcessWatchOptions {
  intervalMs?: number;
  fullEvery?: number;
  /** The cheap check; a false answer is final. */
  exists?: (process: ProcessIdentity) => boolean;
  /** The full check: not a zombie, and the same process (start time). */
  alive?: (process: ProcessIdentity) => boolean;
}

export class ProcessWatch {
  private readonly watched = new Map<ProcessIdentity, () => void>();
  private timer: NodeJS.Timeout | null = null;
  private passes = 0;
  private readonly intervalMs: number;
  private readonly fullEvery: number;
  private readonly exists: (process: ProcessIdentity) => boolean;
  private readonly alive: (process: ProcessIdentity) => boolean;

  constructor(options: ProcessWatchOptions = {}) {
    this.intervalMs = options.intervalMs ?? ADOPTED_CHECK_MS;
    this.fullEvery = options.fullEvery ?? FULL_CHECK_EVERY;
    this.exists = options.exists ?? pidExists;
    this.alive = options.alive ?? isAlive;
  }

  get size(): number {
    return this.watched.size;
  }

  /** Calls `onGone` once, after `process` has exited. Returns the function that stops watching. */
  watch(process: ProcessIdentity, onGone: () => void): () => void {
    this.watched.set(process, onGone);
    this.timer ??= setInterval(() => this.check(), this.intervalMs).unref();
    return () => this.forget(process);
  }

  /** One pass over every watched process (the timer calls it; tests call it directly). */
  check(): void {
    const full = this.passes++ % this.fullEvery === 0;
    for (const [process, onGone] of [...this.watched]) {
      if (full ? this.alive(process) : this.exists(process)) continue;
      this.forget(process);
      onGone();
    }
  }

  private forget(process: ProcessIdentity): void {
    this.watched.delete(process);
    if (this.watched.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}

/** The agent's one watch (one agent per process). */
export const adoptedProcesses = new ProcessWatch();
