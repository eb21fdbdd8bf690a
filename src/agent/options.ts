// `fulcrum amphora-agent` settings: command-line flags, else FULCRUM_AGENT_* variables, else
// defaults. Every bad value is reported at once.
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { parseOffloadTarget, type LogOffloadTarget } from './log-offload.ts';

export interface AgentOptions {
  host: string;
  port: number;
  /** One run directory per amphora below it. */
  baseDir: string;
  /** PEM files: the controller CA (clients must hold a certificate it issued), this agent's certificate and key. */
  caCertPath: string;
  certPath: string;
  keyPath: string;
  /** Where the controller's heartbeat settings (targets, HMAC key) are kept, 0600. */
  heartbeatFile: string;
  logLevel: string;
  /** Access log per amphora: bytes on disk and how long lines are kept. */
  accessLogBytes: number;
  accessLogRetentionMs: number;
  /** Each administrative log (haproxy's and keepalived's output, HAProxy's admin messages) and the agent's own. */
  adminLogBytes: number;
  /** The agent's own output file, rotated by it (the compute driver that starts it says where). */
  logFile: string | null;
  /** Where a copy of every log message goes (Octavia's log offloading), or null. */
  logOffload: LogOffloadTarget | null;
}

export type AgentFlags = Partial<Record<'host' | 'port' | 'baseDir' | 'caCert' | 'cert' | 'key' | 'heartbeatFile' | 'logLevel' | 'logOffload', string>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function agentOptions(env: NodeJS.ProcessEnv, flags: AgentFlags): AgentOptions {
  const problems: string[] = [];
  const pick = (flag: keyof AgentFlags, variable: string, fallback?: string): string => {
    const value = flags[flag] ?? env[variable] ?? fallback;
    if (value === undefined || value === '') {
      problems.push(`${variable} (or --${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}) is required`);
      return '';
    }
    return value;
  };
  const port = pick('port', 'FULCRUM_AGENT_PORT', '9443');
  if (!/^\d+$/.test(port) || Number(port) > 65535) problems.push(`FULCRUM_AGENT_PORT must be a port number from 0 to 65535, got ${JSON.stringify(port)}`);
  const logLevel = pick('logLevel', 'FULCRUM_AGENT_LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`FULCRUM_AGENT_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  const bytes = (variable: string, fallback: number, min: number): number => {
    const raw = env[variable] ?? String(fallback);
    if (!/^\d{1,12}$/.test(raw) || Number(raw) < min) problems.push(`${variable} must be a whole number of bytes of at least ${min}, got ${JSON.stringify(raw)}`);
    return Number(raw);
  };
  const accessLogBytes = bytes('FULCRUM_AGENT_ACCESS_LOG_BYTES', 4 * 1024 * 1024, 65_536);
  const adminLogBytes = bytes('FULCRUM_AGENT_ADMIN_LOG_BYTES', 1024 * 1024, 65_536);
  const retention = env.FULCRUM_AGENT_ACCESS_LOG_RETENTION_SECONDS ?? '86400';
  if (!/^\d{1,9}$/.test(retention) || Number(retention) < 1) problems.push(`FULCRUM_AGENT_ACCESS_LOG_RETENTION_SECONDS must be a whole number of seconds of at least 1, got ${JSON.stringify(retention)}`);
  let logOffload: LogOffloadTarget | null = null;
  try {
    logOffload = parseOffloadTarget(flags.logOffload ?? env.FULCRUM_AGENT_LOG_OFFLOAD ?? '', env.FULCRUM_AGENT_LOG_OFFLOAD_FORMAT ?? 'rfc5424');
  } catch (err) {
    problems.push(`FULCRUM_AGENT_LOG_OFFLOAD ${(err as Error).message}`);
  }
  const baseDir = resolve(pick('baseDir', 'FULCRUM_AGENT_BASE_DIR', '.fulcrum/amphorae'));
  const options: AgentOptions = {
    host: pick('host', 'FULCRUM_AGENT_HOST', '0.0.0.0'),
    port: Number(port),
    baseDir,
    // Beside the base directory, which holds nothing but amphorae.
    heartbeatFile: resolve(pick('heartbeatFile', 'FULCRUM_AGENT_HEARTBEAT_FILE', join(dirname(baseDir), 'heartbeat.json'))),
    caCertPath: pick('caCert', 'FULCRUM_AGENT_CA_CERT'),
    certPath: pick('cert', 'FULCRUM_AGENT_CERT'),
    keyPath: pick('key', 'FULCRUM_AGENT_KEY'),
    logLevel,
    accessLogBytes,
    accessLogRetentionMs: Number(retention) * 1000,
    adminLogBytes,
    logFile: env.FULCRUM_AGENT_LOG_FILE ? resolve(env.FULCRUM_AGENT_LOG_FILE) : null,
    logOffload,
  };
  if (problems.length > 0) throw new ConfigError(`invalid amphora agent settings:\n  - ${problems.join('\n  - ')}`);
  return options;
}
