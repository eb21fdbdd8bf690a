// `node bin/fulcrum.js serve` as a real child process for client tests: port 0 (the kernel picks
// a free port, so parallel test files cannot collide), a fresh embedded database in a temp dir,
// and the tail of its log for failure messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The environment for child processes: no inherited FULCRUM_* (a FULCRUM_DATABASE_URL would
 * point the server elsewhere) and no OS_* (a developer's cloud credentials would override ours). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(FULCRUM_|OS_)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

export interface Server {
  child: ChildProcess;
  url: string;
  dataDir: string;
  log: string[];
}

/** Starts `fulcrum serve` with `env` on top of a clean environment; resolves once it listens. */
export async function startServe(name: string, env: Record<string, string>, timeoutMs = 30_000): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), `fulcrum-${name}-`));
  const child = spawn(process.execPath, [join(ROOT, 'bin/fulcrum.js'), 'serve'], {
    cwd: ROOT,
    env: cleanEnv({
      FULCRUM_DATA_DIR: dataDir,
      FULCRUM_API_BIND: '127.0.0.1:0',
      FULCRUM_LOG_LEVEL: 'info',
      // Workers pick operations up sooner, so every wait in the tests is short.
      FULCRUM_JOB_POLL_MS: '20',
      ...env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server: Server = { child, url: '', dataDir, log: [] };
  const remember = (line: string) => {
    server.log.push(line);
    if (server.log.length > 200) server.log.shift();
  };
  createInterface({ input: child.stderr! }).on('line', remember);
  server.url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running: the caller has no server to stop, and the test file would never end.
      child.kill('SIGKILL');
      reject(new Error(`fulcrum serve did not listen within ${timeoutMs / 1000} s:\n${server.log.join('\n')}`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`fulcrum serve exited (${code ?? signal}) before listening:\n${server.log.join('\n')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      remember(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        if (entry.msg === 'Fulcrum API listening' && entry.address) {
          clearTimeout(timer);
          resolve(entry.address);
        }
      } catch {
        // not a log record; kept in the tail for diagnostics only
      }
    });
  });
  return server;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: ChildProcess | undefined, graceMs: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Runs one `fulcrum` command to its end (killed after two minutes), with what it printed. */
export function runFulcrum(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/fulcrum.js'), ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
