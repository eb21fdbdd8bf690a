// Housekeeping renews the agent certificate of every joined host before it expires, without
// the join token and without the host's private key leaving it: over the mutual-TLS channel
// the controller already has, the agent is asked for a signing request for a new key it keeps
// pending, the CA signs it (src/inventory/host-certificate.ts, as at the join) and the agent
// installs and serves it (src/agent/certificate-renewal.ts) with no restart. A renewal is
// done once a new TLS session sees the new serial; only then is it recorded. A failed one
// leaves the old certificate serving and is tried again at the next check; one still failing
// in the last quarter of the renewal window is an event (host.certificate_renewal_failing).
// Any number of housekeeping processes may run: a renewal is claimed on the host's row.
import type { Db } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { PemPair } from '../pki/certificate-authority.ts';
import { recordEventNow } from '../observability/events.ts';
import { renewalDueByLifetime, renewalUrgent, type CertificateValidity } from '../pki/renewal-window.ts';
import { agentUrlOf, type HostRow } from '../inventory/host-store.ts';
import { claimHostRenewal, joinedOnlineHosts, recordHostCertificate, recordRenewalFailure, signHostCertificate, type HostCertificateRecord } from '../inventory/host-certificate.ts';
import type { HostCertificateAgents } from '../providers/amphora/amphora-agents.ts';

/** A renewal holds its claim this long at least: longer than an agent call may take. */
const CLAIM_MS = 60_000;

export interface HostCertRenewalDeps {
  db: Db;
  ca: () => Promise<PemPair>;
  agents: () => Promise<HostCertificateAgents>;
  /** The serial a new TLS session to host:port is shown (null when none completes). */
  servedSerial: (host: string, port: number, caPem: string) => Promise<string | null>;
  log: Logger;
  validitySeconds: number;
  /** Renew in this last share of the lifetime (0 < share < 1). */
  renewShare: number;
  intervalMs: number;
}

function recordOf(host: HostRow): HostCertificateRecord | null {
  if (!host.certificate_serial || !host.certificate_not_before || !host.certificate_not_after) return null;
  return { serial: host.certificate_serial, notBefore: new Date(host.certificate_not_before), notAfter: new Date(host.certificate_not_after) };
}

export class HostCertificateRenewal {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(private readonly deps: HostCertRenewalDeps) {}

  start(): void {
    const tick = () => {
      this.#running ??= this.checkOnce()
        .then(() => undefined)
        .catch((err) => this.deps.log.warn({ err }, 'host certificate check failed'))
        .finally(() => (this.#running = null));
    };
    tick();
    this.#timer = setInterval(tick, this.deps.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** Checks every joined host that answers; returns the ids of those renewed. */
  async checkOnce(): Promise<string[]> {
    const renewed: string[] = [];
    for (const host of await joinedOnlineHosts(this.deps.db)) {
      if (await this.#checkHost(host)) renewed.push(host.id);
    }
    return renewed;
  }

  async #checkHost(host: HostRow): Promise<boolean> {
    const { db, log } = this.deps;
    const record = await this.#served(host);
    if (!record || !renewalDueByLifetime(record, new Date(), this.deps.renewShare)) return false;
    if (!(await claimHostRenewal(db, host.id, Math.max(CLAIM_MS, this.deps.intervalMs)))) return false;
    try {
      const next = await this.#renew(host);
      await recordHostCertificate(db, host.id, next, true);
      log.info({ host_id: host.id, name: host.name, previous_serial: record.serial, serial: next.serial, not_after: next.notAfter }, 'renewed the agent certificate of a joined host');
      return true;
    } catch (err) {
      await this.#failed(host, record, (err as Error).message);
      return false;
    }
  }

  /** What the host's agent serves, recorded on its row when that differs; the row's record when the agent cannot say. */
  async #served(host: HostRow): Promise<HostCertificateRecord | null> {
    const recorded = recordOf(host);
    try {
      const served = await (await this.deps.agents()).certificate(agentUrlOf(host));
      const record = { serial: served.serial, notBefore: new Date(served.not_before), notAfter: new Date(served.not_after) };
      if (record.serial !== recorded?.serial) await recordHostCertificate(this.deps.db, host.id, record, false);
      return record;
    } catch (err) {
      this.deps.log.debug({ err, host_id: host.id }, 'the host agent did not say which certificate it serves');
      return recorded;
    }
  }

  async #renew(host: HostRow): Promise<HostCertificateRecord> {
    const url = agentUrlOf(host);
    const agents = await this.deps.agents();
    const csr = await agents.certificateRequest(url);
    const ca = await this.deps.ca();
    const { certificatePem, record } = await signHostCertificate(ca, csr, host, this.deps.validitySeconds);
    await agents.installCertificate(url, certificatePem);
    const served = await this.deps.servedSerial(host.address, host.port, ca.certPem);
    if (served !== record.serial) throw new Error(`the agent took the certificate ${record.serial} but a new connection is shown ${served ?? 'none'}`);
    return record;
  }

  async #failed(host: HostRow, current: CertificateValidity & { serial: string }, reason: string): Promise<void> {
    const { db, log } = this.deps;
    const fields = { host_id: host.id, name: host.name, serial: current.serial, not_after: current.notAfter, reason };
    log.warn(fields, 'renewal of a joined host certificate failed; the current certificate stays in use and the renewal is tried again');
    await recordRenewalFailure(db, host.id, reason, this.deps.intervalMs);
    if (!renewalUrgent(current, new Date(), this.deps.renewShare)) return;
    log.error(fields, 'the agent certificate of a joined host expires soon and could not be renewed');
    await recordEventNow(db, {
      type: 'host.certificate_renewal_failing',
      projectId: null,
      loadBalancerId: null,
      detail: { host_id: host.id, name: host.name, serial: current.serial, not_after: current.notAfter.toISOString().replace(/Z$/, ''), reason },
      dedupeKey: `host.certificate_renewal_failing:${host.id}:${current.serial}`,
    });
  }
}
