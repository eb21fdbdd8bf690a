// What the chaos harness (test/helpers/chaos.ts) reads from /proc: the processes an agent's run
// directory names on their command lines (HAProxy, keepalived), the agents of one install, and
// the pid files the agent writes. Namespaces do not hide processes from the host, so this holds
// for the process and the netns compute driver alike.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parentOf, pidRunning } from '../../src/agent/process-table.ts';

export type DaemonKind = 'haproxy' | 'keepalived';

export interface ProcessView {
  pid: number;
  argv: string[];
}

/** Live processes whose command line names a path under `dir` (HAProxy: `-f <run>/<id>/haproxy.cfg`). */
export function processesUnder(dir: string): ProcessView[] {
  const found: ProcessView[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter((a) => a.length > 0);
    } catch {
      continue;
    }
    if (argv.some((a) => a.startsWith(dir + '/')) && pidRunning(Number(entry))) found.push({ pid: Number(entry), argv });
  }
  return found;
}

/** Live `amphora-agent` processes whose environment names `runDir` as their base directory. */
export function agentsOf(runDir: string): number[] {
  const wanted = `FULCRUM_AGENT_BASE_DIR=${runDir}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const agent = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').some((a) => a === 'amphora-agent' || a.endsWith('/fulcrum-amphora-agent.js'));
      if (agent && readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(wanted) && pidRunning(Number(entry))) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

export function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

export function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

const PID_FILE: Record<DaemonKind, string> = { haproxy: 'haproxy.pid', keepalived: 'keepalived.pid' };

/** The daemon's top process, as its pid file names it, when that process lives. */
export function daemonMaster(runDir: string, amphoraId: string, daemon: DaemonKind): number | null {
  const pid = readPid(join(runDir, amphoraId, PID_FILE[daemon]));
  return pid !== null && pidRunning(pid) ? pid : null;
}

/**
 * One amphora's processes of `daemon` (the pid file's process first when it lives): HAProxy's
 * master and workers, keepalived's parent and VRRP child.
 */
export function daemonProcesses(runDir: string, amphoraId: string, daemon: DaemonKind): number[] {
  const all = processesUnder(join(runDir, amphoraId))
    .filter((p) => basename(p.argv[0] ?? '') === daemon)
    .map((p) => p.pid);
  const master = daemonMaster(runDir, amphoraId, daemon);
  return master !== null ? [master, ...all.filter((p) => p !== master)] : all;
}

/** Of `pids`, the ones that are no child of `master` (a daemon's top processes). */
export function topProcesses(pids: number[], master: number | null): number[] {
  return pids.filter((pid) => parentOf(pid) !== master);
}
