// The local agent's certificate is issued for a year, and an adopted agent keeps the one it was
// started with. Well before it expires the controller issues a new one, replaces the files and
// sends the agent SIGHUP, which makes it serve the new certificate (src/agent/cert-reload.ts):
// no agent restart, nothing for HAProxy or keepalived to notice.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.ts';
import { issueServerCertificate, type PemPair } from '../pki/certificate-authority.ts';
import { identify, readCmdline, readPidFile } from '../agent/process-table.ts';
import { renewalDue as dueWithin } from '../pki/renewal-window.ts';
import { PRIVATE_FILE_MODE } from '../private-files.ts';
import { isAgentCommandLine } from './agent-command-line.ts';

const DAY_MS = 86_400_000;
/** Renew with this much left: a controller down for weeks still finds a valid certificate. */
export const RENEW_BEFORE_MS = 30 * DAY_MS;

/** Whether a certificate valid until `notAfter` is renewed at `now`. */
export function renewalDue(notAfter: Date, now: Date): boolean {
  return dueWithin(notAfter, now, RENEW_BEFORE_MS);
}

export interface AgentPemFiles {
  ca: string;
  cert: string;
  key: string;
}

export function agentPemFiles(agentDir: string): AgentPemFiles {
  const pki = join(agentDir, 'pki');
  return { ca: join(pki, 'ca.pem'), cert: join(pki, 'agent.pem'), key: join(pki, 'agent-key.pem') };
}

/** The serial of the certificate a TLS server at host:port presents (null when none answers). */
export function servedSerial(host: string, port: number, caPem: string): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, ca: caPem, timeout: 2000 });
    const done = (serial: string | null) => {
      socket.destroy();
      resolve(serial);
    };
    socket.once('secureConnect', () => done(socket.getPeerX509Certificate()?.serialNumber ?? null));
    socket.once('timeout', () => done(null));
    socket.once('error', () => done(null));
  });
}

function replace(path: string, content: string, mode: number): void {
  const tmp = `${path}.new`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
}

export interface RenewalOptions {
  ca: PemPair;
  agentDir: string;
  host: string;
  port: number;
  log: Logger;
  now?: Date;
  validityDays?: number;
}

/**
 * Renews the running agent's certificate when it is due; returns the served certificate's
 * expiry. An agent that does not pick the new one up (an older agent without the SIGHUP
 * handler) is reported; it gets the new files at its next start.
 */
export async function renewAgentCertificateIfDue(options: RenewalOptions): Promise<{ renewed: boolean; notAfter: Date | null }> {
  const files = agentPemFiles(options.agentDir);
  // An agent this data dir did not start (another data dir's, on the same CA) is renewed by its own.
  if (!existsSync(files.cert)) return { renewed: false, notAfter: null };
  const current = new X509Certificate(readFileSync(files.cert, 'utf8'));
  const notAfter = new Date(current.validTo);
  if (!renewalDue(notAfter, options.now ?? new Date())) return { renewed: false, notAfter };
  const pid = await readPidFile(join(options.agentDir, 'agent.pid'));
  const agent = pid === null ? null : identify(pid);
  if (!agent || !isAgentCommandLine(await readCmdline(agent.pid))) {
    options.log.warn({ not_after: notAfter }, 'the amphora agent certificate expires soon, and no agent process of this data dir was found to renew it for');
    return { renewed: false, notAfter };
  }
  const next = await issueServerCertificate(options.ca, { commonName: `fulcrum-agent-${options.host}`, ipAddresses: [options.host], validityDays: options.validityDays });
  replace(files.key, next.keyPem, PRIVATE_FILE_MODE);
  replace(files.cert, next.certPem, 0o644);
  replace(files.ca, options.ca.certPem, 0o644);
  process.kill(agent.pid, 'SIGHUP');
  const serial = new X509Certificate(next.certPem).serialNumber;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if ((await servedSerial(options.host, options.port, options.ca.certPem)) === serial) {
      const renewedUntil = new Date(new X509Certificate(next.certPem).validTo);
      options.log.info({ previous_not_after: notAfter, not_after: renewedUntil, agent_pid: agent.pid }, 'renewed the amphora agent certificate without restarting the agent');
      return { renewed: true, notAfter: renewedUntil };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  options.log.warn({ not_after: notAfter, agent_pid: agent.pid }, 'the amphora agent did not take its renewed certificate; it serves the old one until it restarts');
  return { renewed: false, notAfter };
}
