// Every `ip` invocation of the netns compute driver goes through here: arguments always travel
// as arrays (execFile, never a shell), and a failure says which command failed and what `ip`
// (or the program it ran in a namespace) printed on stderr.
import { execFile, spawn, type ChildProcess } from 'node:child_process';

export interface IpResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export class IpCommandError extends Error {
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  /** `ip` is not installed: no retry of the flow step will find it (the flow engine's mark). */
  readonly permanent: boolean;
  constructor(args: readonly string[], exitCode: number | null, stderr: string, detail?: string, missing = false) {
    const why = detail ?? (exitCode === null ? 'could not be run' : `exited with ${exitCode}`);
    super(`ip ${args.join(' ')} ${why}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
    this.name = 'IpCommandError';
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
    this.permanent = missing;
  }
}

export interface IpOptions {
  /** Written to stdin (the `-batch -` script). */
  input?: string;
  /** Accepts a non-zero exit that is not a failure for this command (arping without replies). */
  accept?: (result: IpResult) => boolean;
  timeoutMs?: number;
}

/** Runs `ip ARGS` to completion; a non-zero exit throws unless `accept` takes it. */
export function ip(args: readonly string[], options: IpOptions = {}): Promise<IpResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = execFile('ip', args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve({ exitCode: 0, stdout, stderr });
      if (typeof err.code !== 'number') {
        const detail = err.killed ? `timed out after ${timeoutMs} ms` : `could not be run (${err.message})`;
        return reject(new IpCommandError(args, null, stderr, detail, err.code === 'ENOENT'));
      }
      const result = { exitCode: err.code, stdout, stderr };
      if (options.accept?.(result)) return resolve(result);
      reject(new IpCommandError(args, err.code, stderr));
    });
    // A child that exits before reading its stdin makes the write fail with EPIPE; the exit
    // status reported above is the error worth showing.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

/**
 * Runs several `ip` commands in one process (`ip [-n NETNS] -batch -`): one spawn instead of
 * one per command, which is most of the cost of plumbing a namespace. `ip` stops at the first
 * failing line; the error names that line rather than `-:N`.
 */
export async function ipBatch(lines: readonly (readonly string[])[], netns: string | null = null): Promise<void> {
  if (lines.length === 0) return;
  for (const line of lines) {
    for (const word of line) {
      // The batch reader splits on whitespace and treats quotes and '#' specially.
      if (!/^[^\s"'#\\]+$/.test(word)) throw new Error(`cannot pass ${JSON.stringify(word)} to ip -batch`);
    }
  }
  const args = netns === null ? ['-batch', '-'] : ['-n', netns, '-batch', '-'];
  try {
    await ip(args, { input: lines.map((l) => l.join(' ')).join('\n') + '\n' });
  } catch (err) {
    if (!(err instanceof IpCommandError)) throw err;
    const failed = /Command failed -:(\d+)/.exec(err.stderr);
    const line = failed ? lines[Number(failed[1]) - 1] : undefined;
    if (!line) throw err;
    const stderr = err.stderr.replace(/^Command failed -:\d+\n?/m, '');
    throw new IpCommandError(netns === null ? line : ['-n', netns, ...line], err.exitCode, stderr, 'failed');
  }
}

/**
 * Starts a long-running program inside a namespace. `ip netns exec` execs it in place, so the
 * child's pid, signals and exit are the program's own.
 */
export function spawnInNetns(netns: string, file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn('ip', ['netns', 'exec', netns, file, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}
