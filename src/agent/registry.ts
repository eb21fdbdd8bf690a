// The amphorae this agent serves. The base directory is the registry: one run directory per
// amphora with its amphora.json, so a restarted agent finds every amphora and its daemons.
import { access, readdir, rm } from 'node:fs/promises';
import type { Logger } from '../observability/logger.ts';
import { Amphora } from './amphora.ts';
import { DEFAULT_LOG_SETTINGS, type LogSettings } from './amphora-logs.ts';
import { InvalidRequest, UnknownAmphora } from './errors.ts';
import { amphoraLayout, MAX_SOCKET_PATH } from './layout.ts';
import { SerialQueue } from './serial-queue.ts';
import { SupervisionLog } from './supervision-log.ts';

/** Amphora ids and namespace names become path components and `ip` arguments. */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';

export class AmphoraRegistry {
  private readonly amphorae = new Map<string, Amphora>();
  /** Registration and removal change the map; they run one at a time. */
  private readonly queue = new SerialQueue();
  /** What supervision did for every amphora here: exits, restarts, give-ups. */
  readonly events = new SupervisionLog();

  constructor(
    readonly baseDir: string,
    private readonly log: Logger,
    private readonly logSettings: LogSettings = DEFAULT_LOG_SETTINGS,
  ) {}

  async load(): Promise<void> {
    for (const entry of await readdir(this.baseDir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !new RegExp(NAME_PATTERN).test(entry.name)) continue;
      const layout = amphoraLayout(this.baseDir, entry.name);
      if (!(await access(layout.meta).then(() => true, () => false))) {
        // A registration cut short (the agent killed before it answered): nothing ran there, and
        // the controller, which got no answer, retries or gives the amphora up.
        await rm(layout.runDir, { recursive: true, force: true });
        this.log.warn({ amphora_id: entry.name }, 'removed an amphora directory whose registration never finished');
        continue;
      }
      this.amphorae.set(entry.name, await Amphora.load(this.baseDir, entry.name, this.log, this.events, this.logSettings));
    }
  }

  /**
   * Starts every daemon that should run and does not: after the agent itself restarted, or the
   * host rebooted. Called once this agent is known to be the only one (it holds the port).
   */
  recover(): void {
    for (const amphora of this.amphorae.values()) amphora.recover();
  }

  ids(): string[] {
    return [...this.amphorae.keys()].sort();
  }

  get(id: string): Amphora {
    const amphora = this.amphorae.get(id);
    if (!amphora) throw new UnknownAmphora(id);
    return amphora;
  }

  /** Idempotent; a second call may move an idle amphora to another namespace. */
  register(id: string, netns: string | null): Promise<Amphora> {
    return this.queue.run(async () => {
      const existing = this.amphorae.get(id);
      if (existing) {
        await existing.exclusive(() => existing.setNetns(netns));
        return existing;
      }
      const layout = amphoraLayout(this.baseDir, id);
      const longest = [layout.masterSocket, layout.statsSocket, layout.logSocket].find((p) => Buffer.byteLength(p) > MAX_SOCKET_PATH);
      if (longest) throw new InvalidRequest(`socket path ${longest} is longer than ${MAX_SOCKET_PATH} bytes: use a shorter base directory`);
      const amphora = await Amphora.create(this.baseDir, id, netns, this.log, this.events, this.logSettings);
      this.amphorae.set(id, amphora);
      return amphora;
    });
  }

  /** Stops the amphora's daemons and deletes its directory. Unknown ids are already gone. */
  remove(id: string): Promise<void> {
    return this.queue.run(async () => {
      const amphora = this.amphorae.get(id);
      if (!amphora) return;
      await amphora.exclusive(() => amphora.remove());
      this.amphorae.delete(id);
    });
  }

  /** Keeps the daemons' own output files (haproxy.log, keepalived.log) within their bound. */
  rotateDaemonLogs(): void {
    for (const amphora of this.amphorae.values()) amphora.rotateDaemonLogs();
  }

  /** Agent shutdown: the daemons keep running for the next agent to adopt. */
  release(): void {
    for (const amphora of this.amphorae.values()) amphora.release();
  }
}
