// The *_container_ref checks of listeners and pools (docs/octavia-compatibility.md §5.3 step 7, §5.4): every
// reference must name a stored certificate of the load balancer's project and of the kind the
// field needs, and a CRL must be signed by the CA it goes with. Error texts follow Octavia's.
import type { Transaction } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Schema } from '../db/schema.ts';
import { CertificateRetrieval, ValidationFailure } from '../errors.ts';
import { certificatesById, openPayload, type CertificateRow } from './certificate-store.ts';
import { certificateIdFromRef } from './container-ref.ts';
import { crlSignedBy, type CertificateType } from './pem-bundle.ts';
import type { SecretStore } from './secret-store.ts';

type Trx = Transaction<Schema>;

export interface ListenerRefs {
  default_tls_container_ref: string | null;
  sni_container_refs: string[];
  client_ca_tls_container_ref: string | null;
  client_crl_container_ref: string | null;
}

export interface PoolRefs {
  tls_container_ref: string | null;
  ca_tls_container_ref: string | null;
  crl_container_ref: string | null;
}

/** Which fields the request sets: only those are checked (stored ones were checked when set). */
export type Changed = (field: string) => boolean;

class RefResolver {
  private rows = new Map<string, CertificateRow>();
  constructor(
    private readonly db: Db,
    /** Opened only for a CRL check: most requests need no key. */
    private readonly store: () => SecretStore,
    private readonly projectId: string,
  ) {}

  async load(refs: (string | null)[]): Promise<void> {
    this.rows = await certificatesById(this.db, idsOf(refs));
  }

  /** The row `ref` names when it is this project's and of `type`, else null. */
  find(ref: string, type: CertificateType): CertificateRow | null {
    const id = certificateIdFromRef(ref);
    const row = id === null ? undefined : this.rows.get(id);
    return row && row.project_id === this.projectId && row.type === type ? row : null;
  }

  require(ref: string, type: CertificateType): CertificateRow {
    const row = this.find(ref, type);
    if (!row) throw new CertificateRetrieval(ref);
    return row;
  }

  async checkCrlOfCa(crl: CertificateRow, ca: CertificateRow, message: string): Promise<void> {
    const crlPayload = openPayload(this.store(), crl);
    const caPayload = openPayload(this.store(), ca);
    if (crlPayload.type !== 'crl' || caPayload.type !== 'ca' || !(await crlSignedBy(crlPayload.crl, caPayload.certificates))) {
      throw new ValidationFailure(message);
    }
  }
}

/** Returns the ids of the certificates the change newly names (for holdCertificates). */
export async function checkListenerRefs(db: Db, store: () => SecretStore, projectId: string, s: ListenerRefs, changed: Changed): Promise<string[]> {
  const r = new RefResolver(db, store, projectId);
  await r.load([s.default_tls_container_ref, ...s.sni_container_refs, s.client_ca_tls_container_ref, s.client_crl_container_ref]);
  const serverRefs = [
    ...(changed('default_tls_container_ref') && s.default_tls_container_ref !== null ? [s.default_tls_container_ref] : []),
    ...(changed('sni_container_refs') ? s.sni_container_refs : []),
  ];
  const bad = serverRefs.filter((ref) => !r.find(ref, 'certificate'));
  if (bad.length > 0) throw new CertificateRetrieval(bad);
  if (s.client_ca_tls_container_ref !== null && changed('client_ca_tls_container_ref')) r.require(s.client_ca_tls_container_ref, 'ca');
  if (s.client_crl_container_ref !== null && (changed('client_crl_container_ref') || changed('client_ca_tls_container_ref'))) {
    const crl = r.require(s.client_crl_container_ref, 'crl');
    // A stored client CA ref predating the store is simply not found here.
    const ca = s.client_ca_tls_container_ref === null ? null : r.find(s.client_ca_tls_container_ref, 'ca');
    if (ca) await r.checkCrlOfCa(crl, ca, 'The CRL specified is not valid for client certificate authority reference supplied.');
  }
  return idsOf([
    ...serverRefs,
    changed('client_ca_tls_container_ref') ? s.client_ca_tls_container_ref : null,
    changed('client_crl_container_ref') ? s.client_crl_container_ref : null,
  ]);
}

export async function checkPoolRefs(db: Db, store: () => SecretStore, projectId: string, s: PoolRefs, changed: Changed): Promise<string[]> {
  const r = new RefResolver(db, store, projectId);
  await r.load([s.tls_container_ref, s.ca_tls_container_ref, s.crl_container_ref]);
  if (s.tls_container_ref !== null && changed('tls_container_ref')) r.require(s.tls_container_ref, 'certificate');
  if (s.ca_tls_container_ref !== null && changed('ca_tls_container_ref')) r.require(s.ca_tls_container_ref, 'ca');
  if (s.crl_container_ref !== null && (changed('crl_container_ref') || changed('ca_tls_container_ref'))) {
    const crl = r.require(s.crl_container_ref, 'crl');
    const ca = s.ca_tls_container_ref === null ? null : r.find(s.ca_tls_container_ref, 'ca');
    if (ca) await r.checkCrlOfCa(crl, ca, 'The CRL specified is not valid for the CA certificate reference supplied.');
  }
  return idsOf([
    changed('tls_container_ref') ? s.tls_container_ref : null,
    changed('ca_tls_container_ref') ? s.ca_tls_container_ref : null,
    changed('crl_container_ref') ? s.crl_container_ref : null,
  ]);
}

function idsOf(refs: (string | null)[]): string[] {
  return [...new Set(refs.flatMap((ref) => (ref === null ? [] : [certificateIdFromRef(ref)].filter((id): id is string => id !== null))))];
}

/**
 * In the write transaction: the certificates must still exist, and stay until it commits (a
 * concurrent DELETE of one waits, then sees the new reference and refuses).
 */
export async function holdCertificates(trx: Trx, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const rows = await trx.selectFrom('certificate').select('id').where('id', 'in', ids).forShare().execute();
  const missing = ids.filter((id) => !rows.some((r) => r.id === id));
  if (missing.length > 0) throw new CertificateRetrieval(missing[0]);
}

/** Every ref field of listener and pool rows, for "who uses this certificate". */
export function refsOfListener(l: ListenerRefs): string[] {
  return [l.default_tls_container_ref, ...l.sni_container_refs, l.client_ca_tls_container_ref, l.client_crl_container_ref].filter((r): r is string => r !== null);
}

export function refsOfPool(p: PoolRefs): string[] {
  return [p.tls_container_ref, p.ca_tls_container_ref, p.crl_container_ref].filter((r): r is string => r !== null);
}
