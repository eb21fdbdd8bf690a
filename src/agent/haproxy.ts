// One amphora's haproxy in master-worker mode: check → swap the file → start, seamless reload,
// or runtime commands without a reload. "Done" always means haproxy's master CLI shows a
// worker running the new configuration, because `haproxy -c` cannot see bind failures and a
// reload that fails leaves the old workers serving without telling anyone.
import { basename } from 'node:path';
import { ConfigFile } from './config-file.ts';
import { Daemon, SupervisedProgram } from './daemon.ts';
import { ApplyFailed, InvalidConfig, NotRunning, RuntimeCommandFailed } from './errors.ts';
import { contractViolations } from './haproxy-contract.ts';
import type { AmphoraLayout } from './layout.ts';
import { requestReload, showProc, type ProcessList } from './master-cli.ts';
import { run } from './process-runner.ts';
import { applyRuntimeCommands, dumpServerState, showStat, showTable, type RuntimeResult } from './runtime-api.ts';
import { parseShowTable, topOffenders, type SourcesReport } from './stick-table.ts';
import { parseShowStat, type HaproxyStats } from './stats.ts';

const HAPROXY = 'haproxy';
const POLL_MS = 20;
/** Generous: under heavy load a reload took 230-350 ms median here, and a start several times that. */
const READY_TIMEOUT_MS = 30_000;

export interface HaproxyApplyResult {
  action: 'started' | 'reloaded' | 'runtime';
  master_pid: number;
  workers: number[];
  runtime?: RuntimeResult[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** haproxy's own explanation in its log: the ALERT lines, or everything when there are none. */
function alerts(log: string): string {
  const lines = log.split('\n').filter((l) => l.includes('[ALERT]'));
  return (lines.length > 0 ? lines.join('\n') : log).trim();
}

export class Haproxy extends SupervisedProgram {
  private readonly config: ConfigFile;

  constructor(
    private readonly amphoraId: string,
    private readonly layout: AmphoraLayout,
    private readonly netns: () => string | null,
    onExit: (expected: boolean, pid: number) => void,
  ) {
    super();
    this.config = new ConfigFile(layout.haproxyConfig);
    this.daemon = new Daemon(
      {
        name: 'haproxy',
        file: HAPROXY,
        args: ['-Ws', '-S', `${layout.masterSocket},mode,600`, '-f', layout.haproxyConfig, '-p', layout.haproxyPid],
        pidFile: layout.haproxyPid,
        logPath: layout.haproxyLog,
        namedPipe: layout.logPipe,
        owns: (cmdline) => basename(cmdline[0] ?? '') === HAPROXY && cmdline.includes(layout.haproxyConfig),
      },
      netns,
      onExit,
    );
  }


  /** The master's process list, or null when haproxy is not running. */
  async processes(): Promise<ProcessList | null> {
    return this.daemon.isRunning() ? showProc(this.layout.masterSocket) : null;
  }

  async stats(): Promise<HaproxyStats> {
    if (!this.daemon.isRunning()) throw new NotRunning('haproxy', this.amphoraId);
    return parseShowStat(await showStat(this.layout.statsSocket));
  }

  /** The listener's protection table: its top `limit` offenders (none when it has no table). */
  async sources(listenerId: string, limit: number): Promise<SourcesReport> {
    if (!this.daemon.isRunning()) throw new NotRunning('haproxy', this.amphoraId);
    return topOffenders(parseShowTable(await showTable(this.layout.statsSocket, listenerId)), limit);
  }

  /**
   * Not running: start it. Running without `runtime`: seamless reload. Running with `runtime`:
   * apply those commands on the stats socket and do not reload; the file is updated either
   * way, so the next reload keeps the change.
   */
  async apply(text: string, runtime?: string[]): Promise<HaproxyApplyResult> {
    const problems = contractViolations(text, this.layout);
    if (problems.length > 0) throw new InvalidConfig('the configuration does not fit the agent', problems.join('\n'));
    const staged = await this.config.stage(text);
    const check = await run(this.netns(), HAPROXY, ['-c', '-f', staged]);
    if (check.code !== 0) {
      await this.config.discardStaged();
      throw new InvalidConfig('haproxy rejected the configuration', alerts(check.stdout + check.stderr));
    }
    const restorePrevious = await this.config.promote();
    if (this.daemon.isRunning() && runtime !== undefined) return this.runtime(runtime);
    try {
      return this.daemon.isRunning() ? await this.reload() : await this.start();
    } catch (err) {
      await restorePrevious();
      throw err;
    }
  }

  /**
   * Starts haproxy again from the file as it is: the file only ever holds a configuration that
   * ran (a refused one is never promoted, a failed start or reload puts the previous one back),
   * and the server-state file carries the runtime changes made since.
   */
  async restart(): Promise<HaproxyApplyResult> {
    if (!(await this.config.exists())) throw new ApplyFailed('haproxy has no configuration to restart from', '');
    return this.start();
  }

  private async start(): Promise<HaproxyApplyResult> {
    const logOffset = await this.daemon.start();
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (!this.daemon.isRunning()) {
        // /proc can show it dead before its exit is handled: the supervisor hears of the exit
        // first, so a restart that died is one crash, not also a failed restart.
        await this.daemon.exited();
        const log = await this.daemon.logSince(logOffset);
        throw new ApplyFailed(`haproxy exited while starting: ${alerts(log)}`, log);
      }
      const procs = await showProc(this.layout.masterSocket).catch(() => null);
      // The master may have died since it answered: then the next pass reports that.
      if (procs && procs.workers.length > 0 && this.daemon.isRunning()) return { action: 'started', master_pid: procs.masterPid, workers: procs.workers };
      if (Date.now() > deadline) {
        await this.daemon.stop();
        throw new ApplyFailed(`haproxy started no worker within ${READY_TIMEOUT_MS} ms`, await this.daemon.logSince(logOffset));
      }
      await sleep(POLL_MS);
    }
  }

  /**
   * The master re-executes itself with the new file. Success is a worker pid that was not
   * there before; failure is the master's "failed" reload counter going up (it then keeps the
   * old workers, which go on serving the old configuration).
   */
  private async reload(): Promise<HaproxyApplyResult> {
    await dumpServerState(this.layout.statsSocket, this.layout.serverState);
    const before = await showProc(this.layout.masterSocket);
    const logOffset = await this.daemon.logSize();
    await requestReload(this.layout.masterSocket);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (!this.daemon.isRunning()) {
        await this.daemon.exited();
        throw new ApplyFailed('the haproxy master exited during the reload', await this.daemon.logSince(logOffset));
      }
      // The socket is briefly unavailable while the master re-executes itself.
      const procs = await showProc(this.layout.masterSocket).catch(() => null);
      if (procs && procs.failedReloads > before.failedReloads) {
        const log = await this.daemon.logSince(logOffset);
        throw new ApplyFailed(`haproxy could not load the new configuration, the previous one keeps serving: ${alerts(log)}`, log);
      }
      if (procs && procs.workers.some((pid) => !before.workers.includes(pid))) {
        return { action: 'reloaded', master_pid: procs.masterPid, workers: procs.workers };
      }
      if (Date.now() > deadline) {
        throw new ApplyFailed(`no new haproxy worker within ${READY_TIMEOUT_MS} ms of the reload`, await this.daemon.logSince(logOffset));
      }
      await sleep(POLL_MS);
    }
  }

  private async runtime(commands: string[]): Promise<HaproxyApplyResult> {
    const results = await applyRuntimeCommands(this.layout.statsSocket, commands);
    const failed = results.find((r) => !r.ok);
    if (failed) {
      const skipped = commands.length - results.length;
      throw new RuntimeCommandFailed(
        `haproxy refused "${failed.command}": ${failed.output}` +
          (skipped > 0 ? ` (${skipped} later command(s) not sent)` : '') +
          '. The configuration file is updated, so a reload would apply it.',
        results,
      );
    }
    // A restart after a crash starts from this file: it must hold what the commands changed.
    await dumpServerState(this.layout.statsSocket, this.layout.serverState);
    const procs = await showProc(this.layout.masterSocket);
    return { action: 'runtime', master_pid: procs.masterPid, workers: procs.workers, runtime: results };
  }
}
