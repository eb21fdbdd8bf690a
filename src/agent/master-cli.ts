// haproxy's master CLI (`-S <run_dir>/master.sock`): the agent's view of the master-worker
// process tree, and the way it asks for a reload.
import { socketRequest } from './unix-socket.ts';

export interface ProcessList {
  masterPid: number;
  /** Reloads attempted since the master started, and how many of them failed. */
  reloads: number;
  failedReloads: number;
  /** How long the master has run, in seconds (a restart starts it again; a reload does not). */
  uptimeS: number | null;
  /** Workers serving the current configuration (old workers still draining are left out). */
  workers: number[];
}

/**
 * Parses `show proc`:
 *   #<PID>          <type>          <reloads>       <uptime>        <version>
 *   19555           master          2 [failed: 1]   0d00h00m20s     2.6.12-1+deb12u4
 *   # workers
 *   19822           worker          1               0d00h00m05s     2.6.12-1+deb12u4
 *   # old workers
 *   ...
 */
export function parseShowProc(text: string): ProcessList {
  let section = 'master';
  let master: ProcessList | null = null;
  const workers: number[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      section = line.replace(/^#\s*/, '');
      continue;
    }
    const m = /^(\d+)\s+(\S+)\s+(\d+)(?:\s+\[failed:\s*(\d+)\])?(?:\s+(\d+)d(\d+)h(\d+)m(\d+)s)?/.exec(line);
    if (!m) continue;
    const uptimeS = m[5] === undefined ? null : ((Number(m[5]) * 24 + Number(m[6])) * 60 + Number(m[7])) * 60 + Number(m[8]);
    if (m[2] === 'master') master = { masterPid: Number(m[1]), reloads: Number(m[3]), failedReloads: Number(m[4] ?? 0), uptimeS, workers };
    else if (m[2] === 'worker' && section === 'workers') workers.push(Number(m[1]));
  }
  if (!master) throw new Error(`unexpected answer to "show proc": ${JSON.stringify(text.slice(0, 200))}`);
  return master;
}

export async function showProc(masterSocket: string): Promise<ProcessList> {
  return parseShowProc(await socketRequest(masterSocket, 'show proc'));
}

/** The master re-executes itself and closes the connection; the outcome is read from `show proc`. */
export async function requestReload(masterSocket: string): Promise<void> {
  await socketRequest(masterSocket, 'reload');
}
