// One amphora's keepalived (VRRP only): `keepalived -t` → swap the file → start in the
// foreground, or SIGHUP to reload. Explicit pid files and `-i <amphora id>` keep several
// instances on one host apart (dataplane.md §7.8).
import { basename } from 'node:path';
import { ConfigFile } from './config-file.ts';
import { Daemon, SupervisedProgram } from './daemon.ts';
import { ApplyFailed, InvalidConfig } from './errors.ts';
import type { AmphoraLayout } from './layout.ts';
import { run } from './process-runner.ts';
import { identify, parentOf, readPidFile } from './process-table.ts';

const KEEPALIVED = 'keepalived';
const POLL_MS = 20;
const READY_TIMEOUT_MS = 15_000;

export interface KeepalivedApplyResult {
  action: 'started' | 'reloaded';
  pid: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Keepalived extends SupervisedProgram {
  private readonly config: ConfigFile;

  constructor(
    private readonly amphoraId: string,
    private readonly layout: AmphoraLayout,
    private readonly netns: () => string | null,
    onExit: (expected: boolean, pid: number) => void,
  ) {
    super();
    this.config = new ConfigFile(layout.keepalivedConfig);
    this.daemon = new Daemon(
      {
        name: 'keepalived',
        file: KEEPALIVED,
        // -n -l: foreground, log to the console (that is, the log file); daemonised it logs
        // nowhere without a syslog daemon. -P: VRRP only, so no checker child wants a default
        // pid file that another amphora's keepalived would also use.
        args: ['-n', '-l', '-P', '-f', layout.keepalivedConfig, '-p', layout.keepalivedPid, '-r', layout.vrrpPid, '-i', amphoraId],
        pidFile: layout.keepalivedPid,
        logPath: layout.keepalivedLog,
        owns: (cmdline) => basename(cmdline[0] ?? '') === KEEPALIVED && cmdline.includes(layout.keepalivedConfig),
      },
      netns,
      onExit,
    );
  }


  async apply(text: string): Promise<KeepalivedApplyResult> {
    const staged = await this.config.stage(text);
    // keepalived 2.2.7 exits 0 from -t when the file is missing, so the check relies on us
    // having just written it. Warnings (no VIP, a rounded advert interval) also fail it.
    const check = await run(this.netns(), KEEPALIVED, ['-t', '-f', staged, '-i', this.amphoraId]);
    if (check.code !== 0) {
      await this.config.discardStaged();
      throw new InvalidConfig('keepalived rejected the configuration', check.stderr + check.stdout);
    }
    const restorePrevious = await this.config.promote();
    if (this.daemon.isRunning()) {
      this.daemon.signal('SIGHUP');
      return { action: 'reloaded', pid: this.daemon.pid! };
    }
    try {
      return await this.start();
    } catch (err) {
      await restorePrevious();
      throw err;
    }
  }

  /** Starts keepalived again from the file as it is (it only ever holds a configuration that ran). */
  async restart(): Promise<KeepalivedApplyResult> {
    if (!(await this.config.exists())) throw new ApplyFailed('keepalived has no configuration to restart from', '');
    return this.start();
  }

  /** Started means the VRRP child is running, as keepalived's own child. */
  private async start(): Promise<KeepalivedApplyResult> {
    const logOffset = await this.daemon.start();
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const pid = this.daemon.pid;
      if (pid === null) throw new ApplyFailed('keepalived exited while starting', await this.daemon.logSince(logOffset));
      const vrrp = await readPidFile(this.layout.vrrpPid);
      if (vrrp !== null && identify(vrrp) !== null && parentOf(vrrp) === pid) return { action: 'started', pid };
      if (Date.now() > deadline) {
        await this.daemon.stop();
        throw new ApplyFailed(`keepalived started no VRRP process within ${READY_TIMEOUT_MS} ms`, await this.daemon.logSince(logOffset));
      }
      await sleep(POLL_MS);
    }
  }
}
