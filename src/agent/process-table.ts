// What /proc says about a pid. A process is identified by pid *and* start time, so a pid that
// the kernel has handed to someone else is never mistaken for our haproxy. Zombies count as
// dead: once the agent has exited, PID 1 adopts its daemons and here reaps them only every
// ~2 s, so `kill -0` would report a dead haproxy as alive for that long.
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot. */
  startTime: string;
}

function readStat(pid: number): { state: string; ppid: number; startTime: string } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may contain spaces and parentheses; everything after the last
  // ')' is space-separated, starting with field 3 (state).
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], ppid: Number(fields[1]), startTime: fields[19] };
}

/** The identity of a live process, or null when it is gone or a zombie. */
export function identify(pid: number): ProcessIdentity | null {
  const stat = readStat(pid);
  return stat && stat.state !== 'Z' ? { pid, startTime: stat.startTime } : null;
}

export function isAlive(process: ProcessIdentity): boolean {
  const stat = readStat(process.pid);
  return stat !== null && stat.state !== 'Z' && stat.startTime === process.startTime;
}

export function parentOf(pid: number): number | null {
  return readStat(pid)?.ppid ?? null;
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
