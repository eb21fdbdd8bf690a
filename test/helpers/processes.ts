// Starting real `fulcrum` processes for tests, and stopping exactly those, by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/fulcrum.js', import.meta.url));

export interface FulcrumProcess {
  child: ChildProcess;
  /** The API address from the process's "listening" log line (API roles only). */
  address: Promise<string>;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startFulcrum(args: string[], env: Record<string, string>): FulcrumProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, FULCRUM_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const address = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"address":"(http:\/\/[^"]+)".*Fulcrum API listening/.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => reject(new Error(`fulcrum ${args.join(' ')} exited with ${code}:\n${out}`)));
  });
  address.catch(() => {});
  return {
    child,
    address,
    output: () => out,
    stop(signal = 'SIGTERM') {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      });
    },
  };
}

export function exitOf(p: FulcrumProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null) return resolve(p.child.exitCode);
    p.child.once('exit', (code) => resolve(code));
  });
}
