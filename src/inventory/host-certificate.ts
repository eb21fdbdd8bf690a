// The certificate of a joined host's agent: signed in this one place, at the join and at every
// renewal, for the host's own key (its CSR; the key never leaves the host), with the host id
// as its common name (the name the controller checks on every connection) and the host's
// address as its IP SAN. What the host serves is recorded on its row (migration 0033), so
// operators see the expiry and housekeeping knows when to renew; the row is also the claim
// that keeps two housekeeping processes from renewing one host at once.
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { signServerCsr, type PemPair } from '../pki/certificate-authority.ts';
import { summarizeCertificate } from '../pki/verify.ts';

export interface HostCertificateRecord {
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

/** Signs the host's CSR; throws UnacceptableCsr for a request that cannot be signed. */
export async function signHostCertificate(ca: PemPair, csrPem: string, host: { id: string; address: string }, validitySeconds: number): Promise<{ certificatePem: string; record: HostCertificateRecord }> {
  const certificatePem = await signServerCsr(ca, csrPem, { commonName: host.id, ipAddresses: [host.address], validitySeconds });
  const summary = summarizeCertificate(certificatePem);
  return { certificatePem, record: { serial: summary.serialNumber, notBefore: summary.notBefore, notAfter: summary.notAfter } };
}

/** The columns of a host row that record its certificate. */
export function certificateColumns(record: HostCertificateRecord) {
  return { certificate_serial: record.serial, certificate_not_before: record.notBefore, certificate_not_after: record.notAfter };
}

/** Records what the host's agent serves now; a renewal also clears its failure and claim. */
export async function recordHostCertificate(db: Db, hostId: string, record: HostCertificateRecord, renewed: boolean): Promise<void> {
  await db
    .updateTable('host')
    .set({
      ...certificateColumns(record),
      ...(renewed ? { certificate_renewed_at: sql<Date>`now()`, certificate_renewal_error: null, certificate_retry_at: null } : {}),
    })
    .where('id', '=', hostId)
    .execute();
}

/**
 * Claims the host's renewal for `holdMs` unless another process holds it or a failed
 * attempt's wait is not over; true when claimed. A claim left by a process that died ends by
 * itself.
 */
export async function claimHostRenewal(db: Db, hostId: string, holdMs: number): Promise<boolean> {
  const row = await db
    .updateTable('host')
    .set({ certificate_retry_at: sql<Date>`now() + make_interval(secs => ${holdMs / 1000})` })
    .where('id', '=', hostId)
    .where((eb) => eb.or([eb('certificate_retry_at', 'is', null), eb('certificate_retry_at', '<=', sql<Date>`now()`)]))
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Keeps why the last renewal failed, for the operator, and when it is tried again. */
export async function recordRenewalFailure(db: Db, hostId: string, reason: string, retryMs: number): Promise<void> {
  await db
    .updateTable('host')
    .set({ certificate_renewal_error: reason.slice(0, 1000), certificate_retry_at: sql<Date>`now() + make_interval(secs => ${retryMs / 1000})` })
    .where('id', '=', hostId)
    .execute();
}

/** The joined hosts that answer, to be checked. */
export async function joinedOnlineHosts(db: Db) {
  return db.selectFrom('host').selectAll().where('kind', '=', 'joined').where('operating_status', '=', 'ONLINE').orderBy('name').execute();
}
