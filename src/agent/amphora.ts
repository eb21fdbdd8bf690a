// One amphora on this host: its run directory, optional network namespace, haproxy,
// keepalived, and the track file that tells keepalived whether this node may hold the VIP.
// Operations on one amphora run one at a time; different amphorae proceed in parallel.
// Each daemon the controller wants running (it applied a configuration and did not stop it)
// is supervised: if it dies, or is found dead when the agent starts, it is started again from
// its last configuration without waiting for the controller.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { Logger } from '../observability/logger.ts';
import { CertFiles, type AmphoraFileContent } from './cert-files.ts';
import { Conflict, UnknownAmphora } from './errors.ts';
import { Haproxy, type HaproxyApplyResult } from './haproxy.ts';
import { listInterfaces, type NetworkInterface } from './interfaces.ts';
import { Keepalived, type KeepalivedApplyResult } from './keepalived.ts';
import { L4Dataplane } from './l4-dataplane.ts';
import { amphoraLayout, type AmphoraLayout } from './layout.ts';
import { SerialQueue } from './serial-queue.ts';
import type { HaproxyStats } from './stats.ts';
import type { SourcesReport } from './stick-table.ts';
import type { DaemonName, SupervisionEvent, SupervisionLog } from './supervision-log.ts';
import { DaemonSupervisor, type DaemonSupervision } from './supervisor.ts';
import type { HealFacts } from './healability.ts';
import { writeTrackFile } from './track-file.ts';
import { AmphoraLogs, type LogSettings } from './amphora-logs.ts';
import { truncateIfOver } from './log-rotation.ts';

/** What survives an agent restart besides the daemons themselves (`amphora.json`). */
interface AmphoraMeta {
  netns: string | null;
  /** Fault requested by the controller through PUT …/track. */
  fault: boolean;
  /**
   * Daemons the controller wants running: set by a configuration that ran, cleared by a stop.
   * Absent in files from agents before supervision: a configuration file on disk then counts.
   */
  haproxy?: boolean;
  keepalived?: boolean;
}

async function readOptional(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** SHA-256 (hex) of a file's bytes; null when there is no such file. */
async function fileSha256(path: string): Promise<string | null> {
  const bytes = await readOptional(path);
  return bytes === null ? null : createHash('sha256').update(bytes).digest('hex');
}

/** Supervision events shown with an amphora's status. */
const STATUS_EVENTS = 20;

export interface AmphoraStatus {
  id: string;
  netns: string | null;
  run_dir: string;
  haproxy: {
    running: boolean;
    master_pid: number | null;
    workers: number[];
    /** Seconds since the master started (null: not running or not answering). */
    uptime_s: number | null;
    /** SHA-256 (hex) of the configuration file the agent runs haproxy from (null: none yet). */
    config_sha256: string | null;
  };
  /** `vrrp_state`: the state keepalived last reported (MASTER, BACKUP, FAULT, STOP; null: none yet). */
  keepalived: { running: boolean; pid: number | null; vrrp_state: string | null };
  /** The value in the track file: requested by the controller, or haproxy not running. */
  fault: boolean;
  fault_requested: boolean;
  supervision: {
    haproxy: DaemonSupervision & { wanted: boolean };
    keepalived: DaemonSupervision & { wanted: boolean };
    /** This amphora's newest supervision events, oldest first. */
    events: SupervisionEvent[];
  };
}

export class Amphora {
  readonly layout: AmphoraLayout;
  readonly haproxy: Haproxy;
  readonly keepalived: Keepalived;
  /** UDP and SCTP listeners: nftables in the amphora's namespace. */
  readonly l4: L4Dataplane;
  private readonly supervisors: Record<DaemonName, DaemonSupervisor>;
  private readonly queue = new SerialQueue();
  private trackWrites: Promise<void> = Promise.resolve();
  private removed = false;

  readonly logs: AmphoraLogs;

  private constructor(
    readonly id: string,
    baseDir: string,
    private meta: AmphoraMeta,
    private readonly log: Logger,
    private readonly events: SupervisionLog,
    private readonly logSettings: LogSettings,
  ) {
    this.layout = amphoraLayout(baseDir, id);
    this.logs = new AmphoraLogs(id, this.layout, logSettings, log);
    const netns = () => this.meta.netns;
    this.haproxy = new Haproxy(id, this.layout, netns, (expected, pid) => {
      // The fault goes out at once (a standby takes the VIP), the restart follows.
      this.updateTrackFile();
      if (!expected) this.supervisors.haproxy.exited(pid);
    });
    this.keepalived = new Keepalived(id, this.layout, netns, (expected, pid) => {
      if (!expected) this.supervisors.keepalived.exited(pid);
    });
    this.l4 = new L4Dataplane(id, { plan: this.layout.l4Plan, ruleset: this.layout.l4Ruleset }, netns, log, () => logSettings.serverStateChanged?.(id));
    const supervisor = (daemon: DaemonName, restart: () => Promise<number>) =>
      new DaemonSupervisor({
        amphoraId: id,
        daemon,
        log,
        events,
        restart: (current) =>
          this.exclusive(async () => {
            const program = daemon === 'haproxy' ? this.haproxy : this.keepalived;
            if (!current() || !this.meta[daemon] || program.isRunning()) return null;
            let pid: number;
            try {
              pid = await restart();
            } finally {
              this.updateTrackFile();
              await this.trackWrites;
            }
            // Died again while the track file was written: its exit is already reported.
            return program.pid === pid ? pid : null;
          }),
      });
    this.supervisors = {
      haproxy: supervisor('haproxy', async () => (await this.haproxy.restart()).master_pid),
      keepalived: supervisor('keepalived', async () => (await this.keepalived.restart()).pid),
    };
  }

  static async create(baseDir: string, id: string, netns: string | null, log: Logger, events: SupervisionLog, logSettings: LogSettings): Promise<Amphora> {
    const amphora = new Amphora(id, baseDir, { netns, fault: false, haproxy: false, keepalived: false }, log, events, logSettings);
    await mkdir(amphora.layout.runDir, { recursive: true, mode: 0o700 });
    // Meta first: a directory without it is taken for a registration that never finished.
    await amphora.saveMeta();
    await amphora.logs.start().catch(async (err: unknown) => {
      await rm(amphora.layout.runDir, { recursive: true, force: true });
      throw err;
    });
    amphora.updateTrackFile();
    await amphora.trackWrites;
    return amphora;
  }

  /**
   * An amphora a previous agent registered: read it back and re-adopt its daemons. Those that
   * should run but do not are started by `recover()`, once this agent owns the host.
   */
  static async load(baseDir: string, id: string, log: Logger, events: SupervisionLog, logSettings: LogSettings): Promise<Amphora> {
    const layout = amphoraLayout(baseDir, id);
    const meta = JSON.parse(await readFile(layout.meta, 'utf8')) as AmphoraMeta;
    const exists = (path: string) => access(path).then(() => true, () => false);
    meta.haproxy ??= await exists(layout.haproxyConfig);
    meta.keepalived ??= await exists(layout.keepalivedConfig);
    const amphora = new Amphora(id, baseDir, meta, log, events, logSettings);
    await amphora.logs.start();
    await amphora.haproxy.adopt();
    await amphora.keepalived.adopt();
    await amphora.l4.restore();
    log.info({ amphora_id: id, haproxy_pid: amphora.haproxy.pid, keepalived_pid: amphora.keepalived.pid }, 'amphora loaded');
    amphora.updateTrackFile();
    await amphora.trackWrites;
    return amphora;
  }

  get netns(): string | null {
    return this.meta.netns;
  }

  /** Starts again the daemons that should run and do not (the agent has just started). */
  recover(): void {
    if (this.meta.haproxy && !this.haproxy.isRunning()) this.supervisors.haproxy.notRunningAtStart();
    if (this.meta.keepalived && !this.keepalived.isRunning()) this.supervisors.keepalived.notRunningAtStart();
  }

  /** Runs `operation` after every earlier operation on this amphora has finished. */
  exclusive<T>(operation: () => Promise<T>): Promise<T> {
    return this.queue.run(() => {
      if (this.removed) throw new UnknownAmphora(this.id);
      return operation();
    });
  }

  /**
   * Everything that can change while the agent waits (a daemon's exit, the supervisor's
   * decision on it) is read in one go after the last wait, so one answer never shows a master
   * as running beside the supervisor's giving up on it, and the fault of an exit it reports is
   * already in the track file.
   */
  async status(): Promise<AmphoraStatus> {
    // The master CLI is briefly away while the master re-executes itself during a reload.
    const procs = await this.haproxy.processes().catch(() => null);
    const configSha256 = await fileSha256(this.layout.haproxyConfig);
    const vrrpState = await readOptional(this.layout.vrrpState).then((t) => t?.toString('utf8').trim() || null);
    await this.trackWritesSettled();
    const master = this.haproxy.pid;
    // The process list answered before the last wait: it counts only if that master still runs.
    const current = master !== null && procs?.masterPid === master ? procs : null;
    const keepalived = this.keepalived.pid;
    return {
      id: this.id,
      netns: this.meta.netns,
      run_dir: this.layout.runDir,
      haproxy: {
        running: master !== null,
        master_pid: master,
        workers: current?.workers ?? [],
        uptime_s: current?.uptimeS ?? null,
        config_sha256: configSha256,
      },
      keepalived: { running: keepalived !== null, pid: keepalived, vrrp_state: vrrpState },
      fault: this.effectiveFault(master !== null),
      fault_requested: this.meta.fault,
      supervision: {
        haproxy: { wanted: this.meta.haproxy ?? false, ...this.supervisors.haproxy.status() },
        keepalived: { wanted: this.meta.keepalived ?? false, ...this.supervisors.keepalived.status() },
        events: this.events.forAmphora(this.id, STATUS_EVENTS),
      },
    };
  }

  /** What the heartbeat needs to say whether this amphora can still heal itself; no process is started. */
  healFacts(): HealFacts {
    return {
      haproxyRunning: this.haproxy.isRunning(),
      haproxyWanted: this.meta.haproxy ?? false,
      gaveUp: this.supervisors.haproxy.status().state === 'gave_up',
      // `ip netns add` keeps a namespace alive through this bind mount; `ip netns del` removes it.
      netnsMissing: this.meta.netns !== null && !existsSync(`/run/netns/${this.meta.netns}`),
      configPresent: existsSync(this.layout.haproxyConfig),
      keepalivedGaveUp: (this.meta.keepalived ?? false) && !this.keepalived.isRunning() && this.supervisors.keepalived.status().state === 'gave_up',
    };
  }

  /** Successful restarts of this amphora's daemons since the agent started. */
  get heals(): number {
    return this.supervisors.haproxy.status().restarts + this.supervisors.keepalived.status().restarts;
  }

  async setNetns(netns: string | null): Promise<void> {
    if (netns === this.meta.netns) return;
    if (this.haproxy.isRunning() || this.keepalived.isRunning()) {
      throw new Conflict(`amphora ${this.id} runs in network namespace ${this.meta.netns ?? '(none)'}; stop its haproxy and keepalived before moving it`);
    }
    this.meta.netns = netns;
    await this.saveMeta();
  }

  /**
   * With `files`, the certificate directory is made to hold exactly those files: written before
   * the check, put back if the config is refused, stale ones removed once it runs. Without,
   * the directory is left alone.
   */
  async applyHaproxy(config: string, runtime?: string[], files?: AmphoraFileContent[]): Promise<HaproxyApplyResult> {
    const certs = new CertFiles(this.layout.certDir);
    this.supervisors.haproxy.reset();
    try {
      const restoreFiles = files ? await certs.install(files) : null;
      let result: HaproxyApplyResult;
      try {
        result = await this.haproxy.apply(config, runtime);
      } catch (err) {
        await restoreFiles?.();
        throw err;
      }
      if (files) await certs.prune(files);
      await this.want('haproxy', true);
      return result;
    } finally {
      this.updateTrackFile();
      await this.trackWrites;
    }
  }

  async stopHaproxy(): Promise<void> {
    this.supervisors.haproxy.reset();
    await this.want('haproxy', false);
    await this.haproxy.stop();
    await this.trackWrites;
  }

  stats(): Promise<HaproxyStats> {
    return this.haproxy.stats();
  }

  sources(listenerId: string, limit: number): Promise<SourcesReport> {
    return this.haproxy.sources(listenerId, limit);
  }

  async applyKeepalived(config: string): Promise<KeepalivedApplyResult> {
    this.supervisors.keepalived.reset();
    const result = await this.keepalived.apply(config);
    await this.want('keepalived', true);
    return result;
  }

  async stopKeepalived(): Promise<void> {
    this.supervisors.keepalived.reset();
    await this.want('keepalived', false);
    await this.keepalived.stop();
  }

  async setFault(fault: boolean): Promise<boolean> {
    this.meta.fault = fault;
    await this.saveMeta();
    this.updateTrackFile();
    await this.trackWrites;
    return this.effectiveFault();
  }

  interfaces(): Promise<NetworkInterface[]> {
    return listInterfaces(this.meta.netns);
  }

  /**
   * A failover drill: SIGKILLs keepalived's process group (its VRRP child dies with it, so no
   * priority-0 advert tells the peer; docs/dataplane.md §5) and then haproxy's, as a crash would.
   * Returns the process group leaders it killed.
   */
  crash(): number[] {
    const killed: number[] = [];
    for (const pid of [this.keepalived.pid, this.haproxy.pid]) {
      if (pid === null) continue;
      try {
        process.kill(-pid, 'SIGKILL');
        killed.push(pid);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
    return killed;
  }

  rotateDaemonLogs(): void {
    for (const path of [this.layout.haproxyLog, this.layout.keepalivedLog]) truncateIfOver(path, this.logSettings.adminLogBytes);
  }

  /** Stops both daemons and deletes the run directory. */
  async remove(): Promise<void> {
    this.closeSupervisors();
    this.logs.close();
    await this.l4.stop(true);
    await this.keepalived.stop();
    await this.haproxy.stop();
    await this.trackWrites;
    this.removed = true;
    await rm(this.layout.runDir, { recursive: true, force: true });
  }

  /** Agent shutdown: stop watching, leave the daemons serving. */
  release(): void {
    this.closeSupervisors();
    this.logs.close();
    void this.l4.stop(false);
    this.haproxy.release();
    this.keepalived.release();
  }

  private closeSupervisors(): void {
    this.supervisors.haproxy.close();
    this.supervisors.keepalived.close();
  }

  private async want(daemon: DaemonName, wanted: boolean): Promise<void> {
    if (this.meta[daemon] === wanted) return;
    this.meta[daemon] = wanted;
    await this.saveMeta();
  }

  private effectiveFault(haproxyRunning = this.haproxy.isRunning()): boolean {
    return this.meta.fault || !haproxyRunning;
  }

  /** Resolves once no track-file write is pending, including ones queued while waiting. */
  private async trackWritesSettled(): Promise<void> {
    for (let pending = this.trackWrites; ; pending = this.trackWrites) {
      await pending;
      if (pending === this.trackWrites) return;
    }
  }

  /**
   * Queues a write of the current value. Writes run in order and each reads the state when
   * it runs, so the file always ends up with the latest value even when a daemon exit races
   * an API call.
   */
  private updateTrackFile(): void {
    this.trackWrites = this.trackWrites
      .then(() => (this.removed ? undefined : writeTrackFile(this.layout.trackFile, this.effectiveFault())))
      .catch((err: unknown) => this.log.error({ amphora_id: this.id, err }, 'cannot write the track file'));
  }

  private async saveMeta(): Promise<void> {
    await writeFile(`${this.layout.meta}.tmp`, JSON.stringify(this.meta) + '\n', { mode: 0o600 });
    await rename(`${this.layout.meta}.tmp`, this.layout.meta);
  }
}
