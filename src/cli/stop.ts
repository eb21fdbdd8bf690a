// `fulcrum stop`, and what `serve` says when it stops: the local amphora agent and its HAProxy
// processes outlive the controller on purpose (restarts do not drop traffic), so the operator
// is told they keep running and how to end them.
import { Command } from 'commander';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { FulcrumError } from '../errors.ts';
import { join } from 'node:path';
import type { FulcrumConfig } from '../config.ts';
import { identify } from '../agent/process-table.ts';
import { localAgentFiles, recordedAgentPort } from '../compute/local-agent.ts';
import { stopLocalDataPlane } from '../compute/local-agent-stop.ts';

export function agentDir(dataDir: string): string {
  return join(dataDir, 'agent');
}

function livePid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && identify(pid) ? pid : null;
  } catch {
    return null;
  }
}

export function stopHint(dataDir: string): string {
  return `FULCRUM_DATA_DIR=${dataDir} fulcrum stop`;
}

/** The sentence `serve` logs as it exits, or null when no agent of this data dir runs. */
export function whatKeepsRunning(dataDir: string): { message: string; details: Record<string, unknown> } | null {
  const files = localAgentFiles(agentDir(dataDir));
  const pid = livePid(files.pid);
  if (pid === null) return null;
  const amphorae = existsSync(files.runDir) ? readdirSync(files.runDir).length : 0;
  return {
    message:
      `the amphora agent (pid ${pid}, port ${recordedAgentPort(agentDir(dataDir)) ?? '?'}) and the HAProxy processes of ${amphorae} amphorae keep serving, ` +
      `so load balancers stay up and the next start adopts them; to stop them too: ${stopHint(dataDir)}`,
    details: { agent_pid: pid, amphorae, stop: stopHint(dataDir) },
  };
}

/** The embedded database's lock, refreshed every 2 s while a serve holds it (src/db/database.ts). */
function serveRunning(dataDir: string): boolean {
  try {
    return Date.now() - statSync(join(dataDir, 'db', 'fulcrum.lock')).mtimeMs < 10_000;
  } catch {
    return false;
  }
}

export function stopCommand(config: () => FulcrumConfig): Command {
  return new Command('stop')
    .description("stop the data plane of the data dir (FULCRUM_DATA_DIR): its amphora agent and every HAProxy and keepalived it runs; stop `fulcrum serve` first")
    .action(async () => {
      const dataDir = config().dataDir;
      // A running serve would start the agent again for the next change.
      if (serveRunning(dataDir)) throw new FulcrumError('LB_ERR_CONFIG', 1, `fulcrum serve is running on ${dataDir}: stop it first (Ctrl-C or SIGTERM), then run fulcrum stop`);
      const stopped = await stopLocalDataPlane(agentDir(dataDir));
      if (stopped.length === 0) console.log(`nothing of data dir ${dataDir} was running`);
      for (const p of stopped) console.log(`stopped ${p.what} (pid ${p.pid})`);
    });
}
