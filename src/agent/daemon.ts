// One supervised daemon (an amphora's haproxy master or keepalived parent): started in the
// foreground as the agent's detached child, or re-adopted from its pid file after the agent
// restarted. Either way the agent learns when it dies: from the child's exit event, or, for an
// adopted process that is no longer our child, from the agent's one shared /proc watch.
//
// Why detached children and re-adoption, not children that die with the agent: the daemons
// carry tenant traffic, and an agent restart (upgrade, crash, SIGTERM) must not drop a single
// connection. So they run in their own session (setsid via `detached`), write to log files,
// and the agent's shutdown only stops watching them. The next agent finds them through the
// pid file, checks /proc (pid + start time + command line naming this amphora's files) and
// watches them again, instead of starting duplicates.
import type { ChildProcess } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { spawnDaemon } from './process-runner.ts';
import { identify, isAlive, pidRunning, readCmdline, readPidFile } from './process-table.ts';
import { adoptedProcesses } from './process-watch.ts';

const STOP_GRACE_MS = 10_000;

/** A process that has just exited is no error: the exit watch reports it. */
function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

export interface DaemonSpec {
  /** For messages: `haproxy`, `keepalived`. */
  name: string;
  file: string;
  args: string[];
  pidFile: string;
  logPath: string;
  /** A named pipe the daemon inherits as descriptor 3 (process-runner.ts). */
  namedPipe?: string;
  /** Recognises this daemon in /proc/<pid>/cmdline when re-adopting. */
  owns: (cmdline: string[]) => boolean;
}

interface Tracked {
  pid: number;
  alive: () => boolean;
  exited: Promise<void>;
  unwatch: () => void;
}

export class Daemon {
  private tracked: Tracked | null = null;
  private stopping = false;

  constructor(
    private readonly spec: DaemonSpec,
    private readonly netns: () => string | null,
    /** Called once per process exit; `expected` when it followed our own stop(). */
    private readonly onExit: (expected: boolean, pid: number) => void,
  ) {}

  get pid(): number | null {
    return this.isRunning() ? this.tracked!.pid : null;
  }

  isRunning(): boolean {
    return this.tracked !== null && this.tracked.alive();
  }

  /**
   * Resolves when the current process exits (at once when none runs), after its exit callback
   * ran: a caller that saw it dead can wait here until the exit has been handled and reported.
   */
  exited(): Promise<void> {
    return this.tracked?.exited ?? Promise.resolve();
  }

  /** Takes over the daemon a previous agent started, if it is still running. */
  async adopt(): Promise<void> {
    const pid = await readPidFile(this.spec.pidFile);
    const identity = pid === null ? null : identify(pid);
    if (!identity || !this.spec.owns(await readCmdline(identity.pid))) return;
    this.track(identity.pid, () => isAlive(identity), (fire) => adoptedProcesses.watch(identity, fire));
  }

  /** Starts the daemon; returns the log size before it started, to read its messages from. */
  async start(): Promise<number> {
    if (this.isRunning()) throw new Error(`${this.spec.name} is already running (pid ${this.tracked!.pid})`);
    const logOffset = await this.logSize();
    const child: ChildProcess = await spawnDaemon(this.netns(), this.spec.file, this.spec.args, this.spec.logPath, this.spec.namedPipe);
    // Node hears of a child's death only when its event loop reaches the SIGCHLD; until then the
    // dead child is a zombie, which /proc tells at once. Without that, a status read in between
    // would report a killed master as running.
    const running = () => child.exitCode === null && child.signalCode === null && pidRunning(child.pid!);
    this.track(child.pid!, running, (fire) => {
      child.once('exit', fire);
      if (!running()) fire();
      return () => child.removeListener('exit', fire);
    });
    return logOffset;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.isRunning()) sendSignal(this.tracked!.pid, signal);
  }

  /**
   * SIGTERM, then SIGKILL to the whole process group (haproxy workers, keepalived's VRRP child)
   * if it has not exited within the grace period. Resolves once it is gone.
   */
  async stop(): Promise<void> {
    const tracked = this.tracked;
    if (!tracked) return;
    this.stopping = true;
    try {
      // Dead but its exit not yet seen: no signal (its pid may name another process by now), but
      // the exit is still awaited, so it counts as this stop's and not as a crash after it.
      if (tracked.alive()) {
        sendSignal(tracked.pid, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), STOP_GRACE_MS)));
        const exited = await Promise.race([tracked.exited.then(() => true), graceOver]);
        clearTimeout(timer);
        // The daemon leads its own process group (it was started detached).
        if (!exited) sendSignal(-tracked.pid, 'SIGKILL');
      }
      await tracked.exited;
    } finally {
      this.stopping = false;
    }
  }

  /** Stops watching without touching the process: the agent is shutting down. */
  release(): void {
    this.tracked?.unwatch();
    this.tracked = null;
  }

  logSize(): Promise<number> {
    return stat(this.spec.logPath).then(
      (s) => s.size,
      () => 0,
    );
  }

  /** What the daemon wrote to its log since `offset` (the first 64 KiB of it). */
  async logSince(offset: number): Promise<string> {
    const file = await open(this.spec.logPath, 'r');
    try {
      const { size } = await file.stat();
      const length = Math.max(0, Math.min(size - offset, 64 * 1024));
      const buffer = Buffer.alloc(length);
      await file.read(buffer, 0, length, offset);
      return buffer.toString('utf8');
    } finally {
      await file.close();
    }
  }

  private track(pid: number, alive: () => boolean, watch: (fire: () => void) => () => void): void {
    let resolveExited!: () => void;
    const exited = new Promise<void>((resolve) => (resolveExited = resolve));
    let fired = false;
    const tracked: Tracked = { pid, alive, exited, unwatch: () => {} };
    const fire = () => {
      if (fired) return;
      fired = true;
      tracked.unwatch();
      if (this.tracked === tracked) this.tracked = null;
      resolveExited();
      this.onExit(this.stopping, pid);
    };
    this.tracked = tracked;
    tracked.unwatch = watch(fire);
  }
}

/** The controls every program the agent supervises shares; a subclass sets `daemon` when built. */
export abstract class SupervisedProgram {
  protected daemon!: Daemon;

  get pid(): number | null {
    return this.daemon.pid;
  }

  isRunning(): boolean {
    return this.daemon.isRunning();
  }

  adopt(): Promise<void> {
    return this.daemon.adopt();
  }

  release(): void {
    this.daemon.release();
  }

  stop(): Promise<void> {
    return this.daemon.stop();
  }
}
