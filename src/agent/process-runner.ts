// Every process the agent starts goes through this module, so the amphora's network namespace
// is applied in exactly one place, and arguments always travel as an array (no shell ever
// parses a name, a path or a config).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { ProgramMissing } from './errors.ts';

export interface Command {
  file: string;
  args: string[];
}

/**
 * `ip netns exec` execs the program in place (no fork), so the pid we get back is the pid of
 * haproxy or keepalived itself: pid files, signals and exit events all refer to the real process.
 */
export function commandFor(netns: string | null, file: string, args: string[]): Command {
  return netns === null ? { file, args } : { file: 'ip', args: ['netns', 'exec', netns, file, ...args] };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs to completion. A non-zero exit is a result, not an exception; failing to start is one. */
export function run(netns: string | null, file: string, args: string[], timeoutMs = 30_000): Promise<RunResult> {
  const command = commandFor(netns, file, args);
  return new Promise((resolve, reject) => {
    execFile(command.file, command.args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        if (err.code === 'ENOENT') return reject(new ProgramMissing(command.file));
        reject(new Error(`${[command.file, ...command.args].join(' ')}: ${err.killed ? `timed out after ${timeoutMs} ms` : err.message}`));
        return;
      }
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/**
 * Starts a long-running daemon that must outlive the agent: its own session and process group
 * (a signal to the agent's group does not reach it) and its output appended to a file rather
 * than a pipe (a pipe would break, and the daemon get EPIPE, the moment the agent exits).
 * `namedPipe`, when given, is opened for reading and writing and inherited as descriptor 3: the
 * daemon holds both ends, so the pipe never breaks under it either, and its writes never block.
 * Resolves once the program is running, rejects if it could not be executed.
 */
export function spawnDaemon(netns: string | null, file: string, args: string[], logPath: string, namedPipe?: string): Promise<ChildProcess> {
  const command = commandFor(netns, file, args);
  const logFd = openSync(logPath, 'a', 0o600);
  const pipeFd = namedPipe === undefined ? null : openSync(namedPipe, constants.O_RDWR | constants.O_NONBLOCK);
  try {
    const child = spawn(command.file, command.args, { detached: true, stdio: ['ignore', logFd, logFd, ...(pipeFd === null ? [] : [pipeFd])] });
    child.unref();
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve(child));
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' ? new ProgramMissing(command.file) : new Error(`cannot start ${command.file}: ${err.message}`)),
      );
    });
  } finally {
    closeSync(logFd);
    if (pipeFd !== null) closeSync(pipeFd);
  }
}
