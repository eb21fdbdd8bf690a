// SIGHUP makes the agent read its certificate, key and CA files again and serve new TLS
// sessions with them: the controller renews an agent's certificate before it expires without
// restarting the agent, and so without touching the HAProxy and keepalived processes it runs.
// A file set that does not verify is refused and the current one kept.
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:https';
import type { Logger } from '../observability/logger.ts';
import { SERVER_AUTH, verifyCertificate } from '../pki/verify.ts';

export interface CertPaths {
  caCertPath: string;
  certPath: string;
  keyPath: string;
}

export async function reloadCertificates(server: Pick<Server, 'setSecureContext'>, paths: CertPaths, log: Logger): Promise<boolean> {
  try {
    const [ca, cert, key] = await Promise.all([paths.caCertPath, paths.certPath, paths.keyPath].map((p) => readFile(p, 'utf8')));
    const identity = verifyCertificate(cert, ca, { purpose: SERVER_AUTH, keyPem: key });
    server.setSecureContext({ ca, cert, key });
    log.info({ certificate: identity.subject, serial: identity.serialNumber, not_after: identity.notAfter }, 'reloaded the agent certificate');
    return true;
  } catch (err) {
    log.error({ err }, 'certificate reload refused; the previous certificate stays in use');
    return false;
  }
}

/** Reloads on every SIGHUP until the returned function is called. */
export function reloadCertificatesOnHangup(server: Pick<Server, 'setSecureContext'>, paths: CertPaths, log: Logger): () => void {
  const onHangup = () => void reloadCertificates(server, paths, log);
  process.on('SIGHUP', onHangup);
  return () => process.off('SIGHUP', onHangup);
}
