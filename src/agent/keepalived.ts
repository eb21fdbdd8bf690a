// One amphora's keepalived (VRRP only): `keepalived -t` → swap the file → start in the
// foreground, or SIGHUP to reload. Explicit pid files and `-i <amphora id>` keep several
// instances on one host apart (docs/dataplane.md §7.8).
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigFile } from './config-file.ts';
import { Daemon, SupervisedProgram } from './daemon.ts';
import { ApplyFailed, InvalidConfig } from './errors.ts';
import type { AmphoraLayout } from './layout.ts';
import { run } from './process-runner.ts';
import { identify, parentOf, pidRunning, readPidFile } from './process-table.ts';
import { placedAddresses } from './vrrp-addresses.ts';

const KEEPALIVED = 'keepalived';
const POLL_MS = 20;
const READY_TIMEOUT_MS = 15_000;
/**
 * keepalived's check that HAProxy lives, for when the agent is dead. It is copied into the run
 * directory rather than named where it is shipped: script security wants the script and every
 * directory above it writable by root alone, which holds for the 0700 run directory but not for
 * wherever Fulcrum happens to be installed.
 */
const HAPROXY_CHECK = fileURLToPath(new URL('./haproxy-alive.sh', import.meta.url));

export interface KeepalivedApplyResult {
  /** `unchanged`: the running keepalived already has this configuration (no reload). */
  action: 'started' | 'reloaded' | 'unchanged';
  pid: number;
}

/**
 * keepalived's `notify` script: the state (third argument) goes to a file, replaced whole so a
 * reader never sees half of it. keepalived with script security runs it (and the check script)
 * only when it and its directories are writable by root alone, which the 0700 run directory ensures.
 */
function notifyScript(stateFile: string): string {
  if (stateFile.includes("'")) throw new Error(`the VRRP state file path ${stateFile} cannot be quoted for the notify script`);
  return `#!/bin/sh\n# Written by the Fulcrum amphora agent.\nprintf '%s\\n' "$3" > '${stateFile}.tmp' && mv -f '${stateFile}.tmp' '${stateFile}'\n`;
}

/** Replaced whole: keepalived may run the old one at any moment. */
async function installScript(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text, { mode: 0o700 });
  await rename(`${path}.tmp`, path);
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
      (expected, pid) => {
        if (expected) return onExit(expected, pid);
        // Killed, keepalived left the VIP on this amphora's interface, and its kernel keeps
        // answering ARP for it (with RSTs after) beside the new MASTER (docs/dataplane.md §5): take
        // the addresses away before anyone hears of the exit (and might start keepalived again).
        void this.releaseAddresses().finally(() => onExit(expected, pid));
      },
    );
  }

  /** Removes the addresses the current keepalived.conf places; absent ones are no error. */
  private async releaseAddresses(): Promise<void> {
    const config = await readFile(this.layout.keepalivedConfig, 'utf8').catch(() => '');
    await Promise.all(placedAddresses(config).map((a) => run(this.netns(), 'ip', ['addr', 'del', a.cidr, 'dev', a.dev]).catch(() => null)));
  }

  async apply(text: string): Promise<KeepalivedApplyResult> {
    // A reload makes keepalived re-read everything and re-send adverts; a configuration push
    // for a listener change carries the same keepalived.conf, and the MASTER should not notice.
    if (this.daemon.isRunning() && (await readFile(this.layout.keepalivedConfig, 'utf8').catch(() => null)) === text) {
      return { action: 'unchanged', pid: this.daemon.pid! };
    }
    await this.installScripts();
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
    // An agent of a newer version may ship a newer check script.
    await this.installScripts();
    return this.start();
  }

  private async installScripts(): Promise<void> {
    await installScript(this.layout.notifyScript, notifyScript(this.layout.vrrpState));
    await installScript(this.layout.haproxyCheckScript, await readFile(HAPROXY_CHECK, 'utf8'));
  }

  /**
   * keepalived refuses to start ("daemon is already running") while a pid file names a process
   * that exists, and a zombie does: the VRRP child of a killed keepalived is reaped by PID 1
   * only seconds later (docs/dataplane.md §7.3). Files naming no live process are removed first.
   */
  private async removeStalePidFiles(): Promise<void> {
    for (const file of [this.layout.keepalivedPid, this.layout.vrrpPid]) {
      const pid = await readPidFile(file);
      if (pid !== null && !pidRunning(pid)) await rm(file, { force: true });
    }
  }

  /** Started means the VRRP child is running, as keepalived's own child. */
  private async start(): Promise<KeepalivedApplyResult> {
    await this.removeStalePidFiles();
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
