// The amphora agent of this host, for the compute drivers that place amphorae here (process,
// netns). It runs as its own detached process so that amphorae keep serving while the
// controller restarts; a controller that finds it running (its pid file, its /1.0/info
// answering our certificate) adopts it instead of starting another.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pidRunning } from '../agent/process-table.ts';
import { AgentClient } from '../amphora/agent-client.ts';
import { issueServerCertificate, type PemPair } from '../pki/certificate-authority.ts';
import { controllerClientTls } from '../pki/ca-store.ts';
import type { Logger } from '../observability/logger.ts';

const AGENT_BIN = fileURLToPath(new URL('../../bin/fulcrum-amphora-agent.js', import.meta.url));

export interface LocalAgentOptions {
  ca: PemPair;
  /** Holds the agent's certificates, pid file and log, and one run directory per amphora. */
  dir: string;
  host: string;
  port: number;
  log: Logger;
}

async function answers(url: string, tls: { ca: string; cert: string; key: string }): Promise<boolean> {
  const client = new AgentClient({ url, tls, connectTimeoutMs: 1000, timeoutMs: 2000 });
  try {
    await client.info();
    return true;
  } catch {
    return false;
  } finally {
    await client.close();
  }
}

export function localAgentPidFile(dir: string): string {
  return join(dir, 'agent.pid');
}

/** The agent named by the pid file runs (a zombie does not). */
export function pidAlive(pidFile: string): boolean {
  if (!existsSync(pidFile)) return false;
  return pidRunning(Number(readFileSync(pidFile, 'utf8').trim()));
}

/** Returns the URL of this host's agent, once it answers. */
export async function ensureLocalAgent(options: LocalAgentOptions): Promise<string> {
  const { ca, dir, host, port, log } = options;
  const url = `https://${host}:${port}`;
  const tls = await controllerClientTls(ca);
  const pidFile = localAgentPidFile(dir);
  if (pidAlive(pidFile) && (await answers(url, tls))) {
    log.info({ url }, 'adopted the running amphora agent');
    return url;
  }
  mkdirSync(join(dir, 'pki'), { recursive: true });
  const server = await issueServerCertificate(ca, { commonName: `fulcrum-agent-${host}`, ipAddresses: [host] });
  const files = { ca: join(dir, 'pki', 'ca.pem'), cert: join(dir, 'pki', 'agent.pem'), key: join(dir, 'pki', 'agent-key.pem') };
  writeFileSync(files.ca, ca.certPem);
  writeFileSync(files.cert, server.certPem);
  writeFileSync(files.key, server.keyPem, { mode: 0o600 });
  const out = join(dir, 'agent.log');
  const fd = openSync(out, 'a');
  const child = spawn(process.execPath, [AGENT_BIN], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: {
      ...process.env,
      FULCRUM_AGENT_HOST: host,
      FULCRUM_AGENT_PORT: String(port),
      FULCRUM_AGENT_BASE_DIR: join(dir, 'run'),
      FULCRUM_AGENT_CA_CERT: files.ca,
      FULCRUM_AGENT_CERT: files.cert,
      FULCRUM_AGENT_KEY: files.key,
    },
  });
  child.unref();
  writeFileSync(pidFile, String(child.pid));
  const deadline = Date.now() + 30_000;
  while (!(await answers(url, tls))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the amphora agent did not start (see ${out})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  log.info({ url, pid: child.pid }, 'started the amphora agent');
  return url;
}
