// Versions the agent reports in /1.0/info.
import { readFileSync } from 'node:fs';
import { run } from './process-runner.ts';

export function agentVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** "HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/" → "2.6.12-1+deb12u4". */
export async function haproxyVersion(): Promise<string> {
  const result = await run(null, 'haproxy', ['-v']);
  const m = /version (\S+)/.exec(result.stdout);
  if (result.code !== 0 || !m) throw new Error(`cannot run "haproxy -v": ${(result.stderr || result.stdout).trim()}`);
  return m[1];
}
