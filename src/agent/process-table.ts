// What /proc says about a pid: the one parser of /proc/<pid>/stat in Fulcrum (the agent, the
// local agent's controller side and the netns driver all ask it). A process is identified by
// pid *and* start time, so a pid that the kernel has handed to someone else is never mistaken
// for our haproxy. Zombies count as dead: once the agent has exited, PID 1 adopts its daemons
// and here reaps them only every ~2 s, so `kill -0` would report a dead haproxy as alive for
// that long.
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot. */
  startTime: string;
}

export interface ProcStat {
  /** Field 3: R, S, D, Z (zombie), X (dead), … */
  state: string;
  ppid: number;
  /** Fields 14 and 15: CPU time in user and kernel mode, in clock ticks. */
  utime: number;
  stime: number;
  startTime: string;
}

/**
 * Parses the text of /proc/<pid>/stat. The command name (field 2) may contain spaces and
 * parentheses, so fields are counted from the *last* ')': after it everything is
 * space-separated, starting with field 3 (state).
 */
export function parseProcStat(text: string): ProcStat | null {
  const end = text.lastIndexOf(')');
  if (end < 0) return null;
  const fields = text.slice(end + 2).split(' ');
  if (fields.length < 20 || !/^\d+$/.test(fields[19])) return null;
  return { state: fields[0], ppid: Number(fields[1]), utime: Number(fields[11]), stime: Number(fields[12]), startTime: fields[19] };
}

export function readProcStat(pid: number): ProcStat | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

const live = (stat: ProcStat | null): stat is ProcStat => stat !== null && stat.state !== 'Z' && stat.state !== 'X';

/** The pid names a process that has not exited (zombies have). */
export function pidRunning(pid: number): boolean {
  return live(readProcStat(pid));
}

/** The identity of a live process, or null when it is gone or a zombie. */
export function identify(pid: number): ProcessIdentity | null {
  const stat = readProcStat(pid);
  return live(stat) ? { pid, startTime: stat.startTime } : null;
}

export function isAlive(process: ProcessIdentity): boolean {
  const stat = readProcStat(process.pid);
  return live(stat) && stat.startTime === process.startTime;
}

export function parentOf(pid: number): number | null {
  return readProcStat(pid)?.ppid ?? null;
}

export async function readCmdline(pid: number): Promise<string[]> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((a) => a.length > 0);
  } catch {
    return [];
  }
}

export async function readPidFile(path: string): Promise<number | null> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}
