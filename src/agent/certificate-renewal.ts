// The agent's side of renewing its certificate without its private key leaving the host. The
// controller asks for a certificate signing request (POST /1.0/certificate/csr): the agent
// makes a new key, keeps it in memory as the pending key and answers the request. The
// controller signs it and sends the certificate back (PUT /1.0/certificate): the agent takes
// it only when its CA signed it, for serverAuth, for the same subject as the certificate it
// serves, and for the pending key. Then the key and the certificate replace the files (each
// atomically; an install cut short is completed or undone at the next start) and new TLS
// sessions get them (cert-reload.ts); sessions already open go on. Whatever is refused or
// fails leaves the current files and certificate serving, and the controller tries again.
import { existsSync, renameSync, rmSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { SERVER_AUTH, summarizeCertificate, verifyCertificate, type CertificateSummary } from '../pki/verify.ts';
import { PRIVATE_FILE_MODE } from '../private-files.ts';
import type { Logger } from '../observability/logger.ts';
import type { CertPaths } from './cert-reload.ts';
import { AgentError } from './errors.ts';
import { SerialQueue } from './serial-queue.ts';

export interface ServedCertificate {
  subject: string;
  serial: string;
  not_before: string;
  not_after: string;
}

function view(summary: CertificateSummary): ServedCertificate {
  return { subject: summary.subject, serial: summary.serialNumber, not_before: summary.notBefore.toISOString(), not_after: summary.notAfter.toISOString() };
}

/** The files an install writes before it renames them into place: its journal. */
function nextPaths(paths: CertPaths): { key: string; cert: string } {
  return { key: `${paths.keyPath}.next`, cert: `${paths.certPath}.next` };
}

/**
 * Finishes or undoes an install a crash cut short, before the agent reads its files: both
 * `.next` files present means nothing was renamed yet (the old pair stands); the certificate's
 * alone means the key was renamed already, so the certificate follows it.
 */
export function recoverInterruptedInstall(paths: CertPaths): void {
  const next = nextPaths(paths);
  const key = existsSync(next.key);
  const cert = existsSync(next.cert);
  if (cert && !key) renameSync(next.cert, paths.certPath);
  else {
    rmSync(next.key, { force: true });
    rmSync(next.cert, { force: true });
  }
}

async function installPair(paths: CertPaths, keyPem: string, certPem: string): Promise<void> {
  const next = nextPaths(paths);
  await writeFile(next.key, keyPem, { mode: PRIVATE_FILE_MODE });
  await writeFile(next.cert, certPem, { mode: 0o644 });
  await rename(next.key, paths.keyPath);
  await rename(next.cert, paths.certPath);
}

function refused(reason: string): AgentError {
  return new AgentError('LB_ERR_AGENT_CERTIFICATE_REFUSED', 400, `certificate refused, the current one stays in use: ${reason}`);
}

export class CertificateRenewal {
  #pendingKey: string | null = null;
  readonly #queue = new SerialQueue();

  /** `reload`: makes the server serve the files (false when it refused them). */
  constructor(
    private readonly paths: CertPaths,
    private readonly reload: () => Promise<boolean>,
    private readonly log: Logger,
  ) {}

  async served(): Promise<ServedCertificate> {
    return view(summarizeCertificate(await readFile(this.paths.certPath, 'utf8')));
  }

  /** A new key kept pending (a later request replaces it) and its signing request. */
  request(): Promise<{ csr: string }> {
    return this.#queue.run(async () => {
      const subject = summarizeCertificate(await readFile(this.paths.certPath, 'utf8')).subject;
      const commonName = /^CN=(.+)$/m.exec(subject)?.[1] ?? 'fulcrum-agent';
      // Loaded on the first renewal, not at start: the X.509 library was a tenth of the agent's start-up CPU.
      const { createCsr } = await import('../pki/certificate-authority.ts');
      const { csrPem, keyPem } = await createCsr(commonName);
      this.#pendingKey = keyPem;
      this.log.info({ certificate: subject }, 'made a new key and its certificate signing request for a renewal');
      return { csr: csrPem };
    });
  }

  /** Checks `certPem` against the pending key, installs both and serves them. */
  install(certPem: string): Promise<ServedCertificate> {
    return this.#queue.run(async () => {
      const keyPem = this.#pendingKey;
      if (keyPem === null) throw new AgentError('LB_ERR_AGENT_NO_PENDING_KEY', 409, 'no certificate signing request is pending (the agent restarted, or the certificate was installed already): ask for a new one');
      const [ca, currentCert, currentKey] = await Promise.all([this.paths.caCertPath, this.paths.certPath, this.paths.keyPath].map((p) => readFile(p, 'utf8')));
      let summary: CertificateSummary;
      try {
        summary = verifyCertificate(certPem, ca, { purpose: SERVER_AUTH, keyPem });
      } catch (err) {
        throw refused((err as Error).message);
      }
      const current = summarizeCertificate(currentCert);
      if (summary.subject !== current.subject) throw refused(`it is issued to ${summary.subject}, and this agent is ${current.subject}`);
      await installPair(this.paths, keyPem, certPem);
      if (!(await this.reload())) {
        await installPair(this.paths, currentKey, currentCert);
        await this.reload();
        throw new AgentError('LB_ERR_AGENT_INTERNAL', 500, 'the new certificate could not be served; the previous one was put back');
      }
      this.#pendingKey = null;
      this.log.info({ certificate: summary.subject, previous_serial: current.serialNumber, serial: summary.serialNumber, not_after: summary.notAfter }, 'installed a renewed certificate; new connections get it');
      return view(summary);
    });
  }

}
