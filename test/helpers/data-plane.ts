// Helpers for tests that run real amphorae: backend HTTP servers on loopback, a free port for
// the local agent, and a teardown that stops exactly the processes the test's agent started.
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';

export interface Backend {
  name: string;
  port: number;
  hits: number;
  server: Server;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that answers with its own name. */
export async function startBackend(name: string): Promise<Backend> {
  const backend = { name, port: 0, hits: 0 } as Backend;
  backend.server = createServer((_req, res) => {
    backend.hits++;
    res.setHeader('connection', 'close');
    res.end(name);
  });
  await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
  backend.port = (backend.server.address() as { port: number }).port;
  backend.close = () => new Promise((resolve) => {
    backend.server.closeAllConnections();
    backend.server.close(() => resolve());
  });
  return backend;
}

export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

function killPidFile(file: string): void {
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Kills every HAProxy / keepalived an agent ran under `runDir` (one directory per amphora). */
export function killAmphoraDaemons(runDir: string): void {
  if (!existsSync(runDir)) return;
  for (const amphora of readdirSync(runDir)) {
    for (const pidFile of ['haproxy.pid', 'keepalived.pid']) killPidFile(join(runDir, amphora, pidFile));
  }
}

/**
 * Kills the agent started under `dataDir` and every HAProxy / keepalived it ran. The agent
 * first: alive, it would restart a killed HAProxy at once, and that one would be left behind.
 */
export function stopLocalDataPlane(dataDir: string): void {
  const agentDir = join(dataDir, 'agent');
  killPidFile(join(agentDir, 'agent.pid'));
  killAmphoraDaemons(join(agentDir, 'run'));
}

/** GET through a fresh connection; the body, or an Error. */
export async function fetchText(url: string, timeoutMs = 2000): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { connection: 'close' } });
  return res.text();
}
