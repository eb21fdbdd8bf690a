// Death watch for processes that are not the agent's children: the daemons a previous agent
// started and this one adopted. Their exit raises no event here (only a parent gets SIGCHLD,
// and Node 20 exposes no pidfd), so one shared timer checks all of them with one small /proc
// read each, instead of a timer per daemon. The timer runs only while something is watched
// and never keeps the process alive.
import { isAlive, type ProcessIdentity } from './process-table.ts';

/**
 * Short enough that a dead adopted haproxy is noticed, its track file set to fault and the
 * daemon restarted within a few hundred ms; one read of /proc/<pid>/stat costs a few µs.
 */
export const ADOPTED_CHECK_MS = 100;

export class ProcessWatch {
  private readonly watched = new Map<ProcessIdentity, () => void>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs = ADOPTED_CHECK_MS,
    private readonly alive: (process: ProcessIdentity) => boolean = isAlive,
  ) {}

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
    for (const [process, onGone] of [...this.watched]) {
      if (this.alive(process)) continue;
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
