// haproxy's runtime API on the admin stats socket (`<run_dir>/haproxy.sock`): member changes
// without a reload, the server-state dump that carries them across a reload, and statistics.
import { rename, writeFile } from 'node:fs/promises';
import { socketRequest } from './unix-socket.ts';

export interface RuntimeResult {
  command: string;
  ok: boolean;
  /** haproxy's answer, without the severity prefix. */
  output: string;
}

/**
 * With `set severity-output number` haproxy prefixes its messages with a syslog severity
 * ("[3]: No such server."). Severities 0-3 are errors. "Unknown command" comes back as
 * information ([6]) in 2.6, so it is recognised by its text.
 */
export function classifyAnswer(command: string, answer: string): RuntimeResult {
  const text = answer.trim();
  const m = /^\[(\d)\]: ([\s\S]*)$/.exec(text);
  const output = m ? m[2].trim() : text;
  const ok = !(m && Number(m[1]) <= 3) && !/^Unknown command/.test(output);
  return { command, ok, output };
}

/**
 * Applies commands in order and stops at the first failure, since later commands usually
 * depend on earlier ones (`add server` then `set server … state ready`). Returns the results
 * of the commands that ran.
 */
export async function applyRuntimeCommands(statsSocket: string, commands: string[]): Promise<RuntimeResult[]> {
  const results: RuntimeResult[] = [];
  for (const command of commands) {
    const result = classifyAnswer(command, await socketRequest(statsSocket, `set severity-output number; ${command}`));
    results.push(result);
    if (!result.ok) break;
  }
  return results;
}

/**
 * Writes `show servers state` where `server-state-file` points, so the next worker starts with
 * the weights and admin states the runtime API set (a reload otherwise resets them to the
 * configuration's values).
 */
export async function dumpServerState(statsSocket: string, stateFile: string): Promise<void> {
  const state = await socketRequest(statsSocket, 'show servers state');
  await writeFile(`${stateFile}.tmp`, state, { mode: 0o600 });
  await rename(`${stateFile}.tmp`, stateFile);
}

export function showStat(statsSocket: string): Promise<string> {
  return socketRequest(statsSocket, 'show stat');
}

/** The entries of a proxy's stick table; `proxy` is a listener id (checked by the caller). */
export function showTable(statsSocket: string, proxy: string): Promise<string> {
  return socketRequest(statsSocket, `show table ${proxy}`);
}
