// The amphora agent of this host, for the compute drivers that place amphorae here (process,
// netns). It runs as its own detached process so that amphorae keep serving while the
// controller restarts; a controller that finds it running (its pid file, its /1.0/info
// answering our certificate) adopts it instead of starting another.
//
// The agent belongs to its data dir: its port is recorded there (agent.json), so a data dir
// finds its own agent again, and a port held by another Fulcrum's agent (another data dir's
// CA) is reported at once instead of surfacing later as every amphora failing to connect.
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { connect } from 'node:tls';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pidRunning } from '../agent/process-table.ts';
import { AgentClient } from '../amphora/agent-client.ts';
import { FulcrumError } from '../errors.ts';
import { issueServerCertificate, type PemPair } from '../pki/certificate-authority.ts';
import { controllerClientTls } from '../pki/ca-store.ts';
import { ensurePrivateDir, writePrivateFile } from '../private-files.ts';
import type { Logger } from '../observability/logger.ts';
import { EXIT_PROGRAM_MISSING } from '../agent/errors.ts';
import { agentEnvironment } from './agent-env.ts';
import { portHolder, processEnvVar } from './port-holder.ts';
import { renewAgentCertificateIfDue } from './agent-cert-renewal.ts';

const AGENT_BIN = fileURLToPath(new URL('../../bin/fulcrum-amphora-agent.js', import.meta.url));

/** The agent port of a data dir that names none and has none recorded, when it is free. */
export const DEFAULT_AGENT_PORT = 9443;

export interface LocalAgentOptions {
  ca: PemPair;
  /** Holds the agent's certificates, pid file, port record and log, and one run directory per amphora. */
  dir: string;
  host: string;
  /** FULCRUM_LOCAL_AGENT_PORT; null: the recorded port, else the default, else a free one. */
  port: number | null;
  log: Logger;
  /** Validity of the agent certificates issued here (default: the CA's default, a year). */
  certificateDays?: number;
  /** The port tried first when none is configured or recorded (DEFAULT_AGENT_PORT). */
  defaultPort?: number;
  /**
   * Further FULCRUM_AGENT_* settings for an agent started here (access-log bounds, log offload).
   * An agent that is already running keeps those it was started with.
   */
  agentSettings?: Record<string, string>;
}

export interface LocalAgentFiles {
  pid: string;
  /** `{ "port": n }`: the port this data dir's agent listens on. */
  record: string;
  log: string;
  runDir: string;
  pkiDir: string;
}

export function localAgentFiles(dir: string): LocalAgentFiles {
  return { pid: join(dir, 'agent.pid'), record: join(dir, 'agent.json'), log: join(dir, 'agent.log'), runDir: join(dir, 'run'), pkiDir: join(dir, 'pki') };
}

export function recordedAgentPort(dir: string): number | null {
  try {
    const port = (JSON.parse(readFileSync(localAgentFiles(dir).record, 'utf8')) as { port?: unknown }).port;
    return typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
  } catch {
    return null;
  }
}

/**
 * Which port to try, and whether another may be taken when it is held by someone else: only the
 * default may move. A configured port is the operator's, and a recorded one is in the amphora
 * records of the database (their agent URL), so neither changes behind anyone's back.
 */
export function agentPortPlan(configured: number | null, recorded: number | null, fallback = DEFAULT_AGENT_PORT): { port: number; mayMove: boolean } {
  if (configured !== null) return { port: configured, mayMove: false };
  if (recorded !== null) return { port: recorded, mayMove: false };
  return { port: fallback, mayMove: true };
}

export type PortProbe = 'free' | 'ours' | 'foreign';

/** `ours`: a TLS server whose certificate our CA issued; `foreign`: anything else listening. */
export function probeAgentPort(host: string, port: number, tls: { ca: string; cert?: string; key?: string }): Promise<PortProbe> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, ca: tls.ca, cert: tls.cert, key: tls.key, timeout: 2000 });
    const done = (result: PortProbe) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => done('ours'));
    socket.once('timeout', () => done('foreign'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'free' : 'foreign'));
  });
}

/** Who holds a port, for the message: the pid and, for a Fulcrum agent, its data dir. */
function describeHolder(port: number): string {
  const pid = portHolder(port);
  if (pid === null) return 'a process this user cannot see';
  const baseDir = processEnvVar(pid, 'FULCRUM_AGENT_BASE_DIR');
  if (!baseDir) return `pid ${pid}`;
  const dataDir = dirname(dirname(baseDir));
  return existsSync(dataDir) ? `pid ${pid}, the amphora agent of data dir ${dataDir}` : `pid ${pid}, the amphora agent of data dir ${dataDir}, which no longer exists`;
}

export class AgentPortTaken extends FulcrumError {
  constructor(host: string, port: number, holder: string, dataDir: string) {
    super(
      'LB_ERR_CONFIG',
      1,
      `the amphora agent port ${host}:${port} is held by ${holder}, not by an agent of this data dir (${dataDir}): its certificate is not from this Fulcrum's CA. ` +
        `Stop that data plane ("FULCRUM_DATA_DIR=<its data dir> fulcrum stop", or end the process), or give this instance another port with FULCRUM_LOCAL_AGENT_PORT`,
    );
  }
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

/**
 * The agent could not be started. `permanent` (the flow engine's mark) when it exited because
 * a program it needs is not installed: starting it again would fail the same way.
 */
export class LocalAgentFailed extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'LocalAgentFailed';
  }
}

/** What the agent wrote to its log since `offset`, trimmed to its last lines. */
function logSince(path: string, offset: number): string {
  try {
    return readFileSync(path).subarray(offset).toString('utf8').trim().split('\n').slice(-3).join('\n');
  } catch {
    return '';
  }
}

async function kernelPickedPort(host: string): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, host, resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/**
 * At controller start, before any amphora needs the agent: a port that only this data dir may
 * use (configured or recorded) but that something else holds fails the start now, not the
 * first load balancer half a minute later.
 */
export async function checkLocalAgentPort(options: Omit<LocalAgentOptions, 'log'>): Promise<void> {
  const plan = agentPortPlan(options.port, recordedAgentPort(options.dir), options.defaultPort);
  if (plan.mayMove) return;
  const probe = await probeAgentPort(options.host, plan.port, await controllerClientTls(options.ca));
  if (probe === 'foreign') throw new AgentPortTaken(options.host, plan.port, describeHolder(plan.port), dirname(options.dir));
}

/** Returns the URL of this host's agent, once it answers. */
export async function ensureLocalAgent(options: LocalAgentOptions): Promise<string> {
  const { ca, dir, host, log } = options;
  const files = localAgentFiles(dir);
  const tls = await controllerClientTls(ca);
  ensurePrivateDir(dir);
  ensurePrivateDir(files.pkiDir);
  const plan = agentPortPlan(options.port, recordedAgentPort(dir), options.defaultPort);
  let port = plan.port;
  const probe = await probeAgentPort(host, port, tls);
  if (probe === 'ours' && (await answers(`https://${host}:${port}`, tls))) {
    log.info({ url: `https://${host}:${port}`, running: pidAlive(files.pid) }, 'adopted the running amphora agent');
    writeFileSync(files.record, JSON.stringify({ port }) + '\n');
    await renewAgentCertificateIfDue({ ca, agentDir: dir, host, port, log, validityDays: options.certificateDays });
    return `https://${host}:${port}`;
  }
  if (probe === 'ours') {
    // Our CA's certificate, but /1.0/info does not answer: a hung agent of ours, not a stranger.
    throw new FulcrumError('LB_ERR_AMPHORA_UNREACHABLE', 503, `the amphora agent on ${host}:${port} (${describeHolder(port)}) completes TLS but does not answer; see ${files.log}, or restart it with "fulcrum stop" and a new start`);
  }
  if (probe !== 'free') {
    const holder = describeHolder(port);
    if (!plan.mayMove) throw new AgentPortTaken(host, port, holder, dirname(dir));
    const taken = port;
    port = await kernelPickedPort(host);
    log.warn({ taken, holder, port }, `amphora agent port ${taken} is held by ${holder}: this data dir's agent listens on ${port} (recorded in ${files.record})`);
  }
  const url = `https://${host}:${port}`;
  const server = await issueServerCertificate(ca, { commonName: `fulcrum-agent-${host}`, ipAddresses: [host], validityDays: options.certificateDays });
  const pem = { ca: join(files.pkiDir, 'ca.pem'), cert: join(files.pkiDir, 'agent.pem'), key: join(files.pkiDir, 'agent-key.pem') };
  writeFileSync(pem.ca, ca.certPem);
  writeFileSync(pem.cert, server.certPem);
  writePrivateFile(pem.key, server.keyPem);
  const logOffset = existsSync(files.log) ? statSync(files.log).size : 0;
  const fd = openSync(files.log, 'a');
  const child = spawn(process.execPath, [AGENT_BIN], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: agentEnvironment(process.env, {
      FULCRUM_AGENT_HOST: host,
      FULCRUM_AGENT_PORT: String(port),
      FULCRUM_AGENT_BASE_DIR: files.runDir,
      FULCRUM_AGENT_CA_CERT: pem.ca,
      FULCRUM_AGENT_CERT: pem.cert,
      FULCRUM_AGENT_KEY: pem.key,
      // The agent rotates its own output file (this one) to keep it bounded.
      FULCRUM_AGENT_LOG_FILE: files.log,
      ...options.agentSettings,
    }),
  });
  child.unref();
  writeFileSync(files.pid, String(child.pid));
  writeFileSync(files.record, JSON.stringify({ port }) + '\n');
  const deadline = Date.now() + 30_000;
  while (!(await answers(url, tls))) {
    if (child.exitCode === EXIT_PROGRAM_MISSING) {
      throw new LocalAgentFailed(`the amphora agent cannot run: ${logSince(files.log, logOffset) || 'a program it needs is missing'} (see ${files.log})`, true);
    }
    // A child killed by a signal has no exit code, only a signal code: without it, an agent
    // killed while it starts would be waited for until the deadline.
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new LocalAgentFailed(`the amphora agent exited (${child.exitCode ?? child.signalCode}) before it answered (see ${files.log})`, false);
    }
    if (Date.now() > deadline) {
      throw new LocalAgentFailed(`the amphora agent did not answer within 30 s (see ${files.log})`, false);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  log.info({ url, pid: child.pid }, 'started the amphora agent');
  return url;
}
