// `fulcrum amphora-agent` settings: command-line flags, else FULCRUM_AGENT_* variables, else
// defaults. Every bad value is reported at once.
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';

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
}

export type AgentFlags = Partial<Record<'host' | 'port' | 'baseDir' | 'caCert' | 'cert' | 'key' | 'heartbeatFile' | 'logLevel', string>>;

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
  };
  if (problems.length > 0) throw new ConfigError(`invalid amphora agent settings:\n  - ${problems.join('\n  - ')}`);
  return options;
}
