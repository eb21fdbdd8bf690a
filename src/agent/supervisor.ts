// Brings one daemon of one amphora back when it dies on its own (kill -9, OOM, a crash) or was
// found dead when the agent started: from the configuration file, which only ever holds the
// last configuration that ran, and, for haproxy, the server-state file the agent keeps current.
// The restart policy spaces out and finally stops the attempts; every step is recorded in the
// agent's supervision log.
import type { Logger } from '../observability/logger.ts';
import { RestartPolicy, type RestartPolicyOptions } from './restart-policy.ts';
import type { DaemonName, NewSupervisionEvent, SupervisionEvent, SupervisionLog } from './supervision-log.ts';

export type SupervisionState = 'idle' | 'restarting' | 'gave_up';

export interface DaemonSupervision {
  state: SupervisionState;
  /** Successful restarts since the agent started. */
  restarts: number;
  /** Crashes within the restart policy's window. */
  recent_crashes: number;
}

/**
 * Restarts run a few at a time: after a host's power loss every amphora starts at once, and a
 * bounded number of concurrent haproxy starts finishes sooner than all of them fighting for
 * two cores.
 */
class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

const restartSlots = new Limiter(8);

export interface SupervisorOptions {
  amphoraId: string;
  daemon: DaemonName;
  log: Logger;
  events: SupervisionLog;
  /**
   * Starts the daemon again, in turn with the amphora's other operations, unless `current()` is
   * false by the time its turn comes (the supervisor gave up, was reset or closed meanwhile).
   * Resolves with the new pid, or with null when there is nothing to do any more (stopped or
   * removed meanwhile, already running again, or the new daemon died again before the restart
   * was done: its exit is then reported instead, and a restart after its exit never is).
   */
  restart: (current: () => boolean) => Promise<number | null>;
  policy?: RestartPolicyOptions;
}

export class DaemonSupervisor {
  private readonly policy: RestartPolicy;
  private state: SupervisionState = 'idle';
  private restarts = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Bumped by reset() and close(): an attempt from an earlier generation does nothing. */
  private generation = 0;

  constructor(private readonly options: SupervisorOptions) {
    this.policy = new RestartPolicy(options.policy);
  }

  status(): DaemonSupervision {
    return { state: this.state, restarts: this.restarts, recent_crashes: this.policy.recentCrashes };
  }

  /** The daemon exited without being asked to. */
  exited(pid: number | null): void {
    const event = this.record({ kind: 'exited', ...(pid === null ? {} : { pid }) });
    this.options.log.error({ amphora_id: this.options.amphoraId, daemon: this.options.daemon, pid }, `${this.options.daemon} exited unexpectedly`);
    // The policy counts the crash at the time its event shows, so the window can be checked
    // from the log alone.
    this.crashed('exited', Date.now(), Date.parse(event.at));
  }

  /** The agent started and found the daemon, which should run, not running. */
  notRunningAtStart(): void {
    if (this.state !== 'idle') return;
    this.schedule('agent_start', 0, Date.now());
  }

  /** The controller applied a configuration or stopped the daemon: forget earlier crashes. */
  reset(): void {
    this.cancel();
    this.policy.reset();
    this.state = 'idle';
  }

  /** The amphora is removed or the agent shuts down. */
  close(): void {
    this.cancel();
  }

  private cancel(): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private crashed(reason: 'exited' | 'agent_start', downSince: number, at: number): void {
    if (this.state === 'gave_up') return;
    const decision = this.policy.onCrash(at);
    if (decision.action === 'give_up') {
      this.cancel();
      this.state = 'gave_up';
      const detail = `${decision.crashes} crashes within the restart window: left down until the controller applies a configuration`;
      this.record({ kind: 'gave_up', detail });
      this.options.log.error({ amphora_id: this.options.amphoraId, daemon: this.options.daemon }, `${this.options.daemon} keeps dying: ${detail}`);
      return;
    }
    this.schedule(reason, decision.delayMs, downSince);
  }

  private schedule(reason: 'exited' | 'agent_start', delayMs: number, downSince: number): void {
    this.cancel();
    this.state = 'restarting';
    const generation = this.generation;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.attempt(reason, downSince, generation);
    }, delayMs);
  }

  private async attempt(reason: 'exited' | 'agent_start', downSince: number, generation: number): Promise<void> {
    let pid: number | null;
    try {
      const current = () => generation === this.generation;
      pid = await restartSlots.run(() => (current() ? this.options.restart(current) : Promise.resolve(null)));
    } catch (err) {
      if (generation !== this.generation) return;
      const detail = err instanceof Error ? err.message : String(err);
      const event = this.record({ kind: 'restart_failed', detail });
      this.options.log.error({ amphora_id: this.options.amphoraId, daemon: this.options.daemon, err }, `cannot restart ${this.options.daemon}`);
      this.crashed(reason, downSince, Date.parse(event.at));
      return;
    }
    // A pid here was running when `restart` resolved, and nothing but promise callbacks ran
    // since, so the daemon's exit cannot have been reported before its restart is. A reset
    // meanwhile (the controller took over) leaves the restart counted and the state to the reset.
    if (generation === this.generation) this.state = 'idle';
    if (pid === null) return;
    this.restarts++;
    const downMs = Date.now() - downSince;
    this.record({ kind: 'restarted', pid, reason, down_ms: downMs });
    this.options.log.warn({ amphora_id: this.options.amphoraId, daemon: this.options.daemon, pid, reason, down_ms: downMs }, `${this.options.daemon} restarted`);
  }

  private record(event: Omit<NewSupervisionEvent, 'amphora_id' | 'daemon'>): SupervisionEvent {
    return this.options.events.record({ amphora_id: this.options.amphoraId, daemon: this.options.daemon, ...event });
  }
}
