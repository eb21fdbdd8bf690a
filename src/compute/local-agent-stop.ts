// `fulcrum stop`: ends the data plane of one data dir — its amphora agent and every HAProxy and
// keepalived that agent runs — from the pid files alone, so it works with the agent dead or
// the database held by another process. A pid counts only while /proc says it is still the
// process we mean (the agent command, or a daemon naming a file of this data dir).
import { existsSync, readdirSync } from 'node:fs';
import { amphoraLayout } from '../agent/layout.ts';
import { identify, isAlive, readCmdline, readPidFile, type ProcessIdentity } from '../agent/process-table.ts';
import { localAgentFiles } from './local-agent.ts';
import { isAgentCommandLine } from './agent-command-line.ts';

const GRACE_MS = 10_000;

export interface StoppedProcess {
  what: string;
  pid: number;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function terminate(target: ProcessIdentity, group: boolean): Promise<void> {
  signal(target.pid, 'SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  while (isAlive(target) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(target)) signal(group ? -target.pid : target.pid, 'SIGKILL');
}

async function ours(pidFile: string, owns: (cmdline: string[]) => boolean): Promise<ProcessIdentity | null> {
  const pid = await readPidFile(pidFile);
  const identity = pid === null ? null : identify(pid);
  return identity && owns(await readCmdline(identity.pid)) ? identity : null;
}

/** Stops the agent first (so it restarts nothing), then the daemons; returns what it stopped. */
export async function stopLocalDataPlane(agentDir: string): Promise<StoppedProcess[]> {
  const files = localAgentFiles(agentDir);
  const stopped: StoppedProcess[] = [];
  const agent = await ours(files.pid, isAgentCommandLine);
  if (agent) {
    await terminate(agent, false);
    stopped.push({ what: 'amphora agent', pid: agent.pid });
  }
  const daemons: Promise<void>[] = [];
  if (existsSync(files.runDir)) {
    for (const id of readdirSync(files.runDir)) {
      const layout = amphoraLayout(files.runDir, id);
      const names = (cmdline: string[]) => cmdline.some((arg) => arg.startsWith(layout.runDir + '/'));
      for (const [what, pidFile] of [['keepalived', layout.keepalivedPid], ['haproxy', layout.haproxyPid]] as const) {
        const daemon = await ours(pidFile, names);
        if (!daemon) continue;
        stopped.push({ what: `${what} of amphora ${id}`, pid: daemon.pid });
        daemons.push(terminate(daemon, true));
      }
    }
  }
  await Promise.all(daemons);
  return stopped;
}
