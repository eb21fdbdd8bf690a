// Keeps this host's amphora agent running while the controller runs. The agent is a detached
// process (so the data plane outlives controller restarts), which also means nobody restarts it
// when it dies: this watch notices a dead agent from its pid file (one /proc read, no request)
// and starts it again through ensureLocalAgent; the new agent brings back every amphora it has
// a configuration for, haproxy included, on its own.
import type { Logger } from '../observability/logger.ts';
import { ensureLocalAgent, LocalAgentFailed, localAgentPidFile, pidAlive, type LocalAgentOptions } from './local-agent.ts';

/** A restart that keeps failing is retried less and less often, up to this. */
const MAX_RETRY_MS = 30_000;

export class LocalAgentWatchdog {
  private timer: NodeJS.Timeout | null = null;
  private restarting: Promise<void> | null = null;
  private failures = 0;
  private retryAt = 0;
  /** Agent restarts this watchdog performed. */
  restarts = 0;

  constructor(
    private readonly options: LocalAgentOptions,
    /** How often the pid is checked: a dead agent is noticed within this, plus its own restart. */
    private readonly intervalMs: number,
    private readonly log: Logger = options.log,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.check(), this.intervalMs).unref();
  }

  /** Stops watching; waits for a restart in progress, which leaves a running agent behind. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.restarting;
  }

  private check(): void {
    if (this.restarting || Date.now() < this.retryAt || pidAlive(localAgentPidFile(this.options.dir))) return;
    this.restarting = this.restart().finally(() => (this.restarting = null));
  }

  private async restart(): Promise<void> {
    const begun = Date.now();
    this.log.warn({ dir: this.options.dir }, 'the local amphora agent is not running: starting it again');
    try {
      const url = await ensureLocalAgent(this.options);
      this.restarts++;
      this.failures = 0;
      this.retryAt = 0;
      this.log.warn({ url, ms: Date.now() - begun }, 'the local amphora agent runs again');
    } catch (err) {
      // An agent killed while it started (an operator, the OOM killer, a chaos test) says
      // nothing about the next start: it is tried again at once, without growing the delay
      // that keeps a start failing for a reason of its own (a port taken) from spinning.
      const killed = err instanceof LocalAgentFailed && err.killed;
      if (!killed) this.failures++;
      const delay = killed ? this.intervalMs : Math.min(MAX_RETRY_MS, this.intervalMs * 2 ** this.failures);
      this.retryAt = Date.now() + delay;
      this.log.error({ err, retry_in_ms: delay }, 'cannot start the local amphora agent');
    }
  }
}
