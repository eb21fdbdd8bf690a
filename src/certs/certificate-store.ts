// Rows of the certificate table: stored sealed, opened only where their PEM is needed (the
// checks of a listener or pool that names them, the files pushed to an amphora).
import { sql, type Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { CertificateTable } from '../db/schema.ts';
import type { CertificatePayload, ParsedCertificate } from './pem-bundle.ts';
import type { SecretStore } from './secret-store.ts';

export type CertificateRow = Selectable<CertificateTable>;

/** The sealed value is bound to the row's id, so it opens on no other row. */
function sealContext(id: string): string {
  return `certificate:${id}`;
}

export async function insertCertificate(
  db: Db,
  store: SecretStore,
  values: { id: string; projectId: string; name: string; tags: string[]; parsed: ParsedCertificate },
): Promise<CertificateRow> {
  const { meta, payload } = values.parsed;
  return db
    .insertInto('certificate')
    .values({
      id: values.id,
      project_id: values.projectId,
      name: values.name,
      type: payload.type,
      subject: meta.subject,
      issuer: meta.issuer,
      subject_alt_names: JSON.stringify(meta.subjectAltNames),
      fingerprint_sha256: meta.fingerprintSha256,
      not_before: meta.notBefore,
      expires_at: meta.expiresAt,
      sealed: store.seal(JSON.stringify(payload), sealContext(values.id)),
      tags: JSON.stringify(values.tags),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function openPayload(store: SecretStore, row: Pick<CertificateRow, 'id' | 'sealed'>): CertificatePayload {
  return JSON.parse(store.open(row.sealed, sealContext(row.id))) as CertificatePayload;
}

export async function certificatesById(db: Db, ids: string[]): Promise<Map<string, CertificateRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('certificate').selectAll().where('id', 'in', [...new Set(ids)]).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Stored certificates (not CAs or CRLs) that expire within `days` days, or have expired. */
export async function certificatesExpiringWithin(db: Db, days: number): Promise<Pick<CertificateRow, 'id' | 'project_id' | 'name' | 'expires_at'>[]> {
  return db
    .selectFrom('certificate')
    .select(['id', 'project_id', 'name', 'expires_at'])
    .where('type', '=', 'certificate')
    .where('expires_at', '<', sql<Date>`now() + make_interval(days => ${days})`)
    .orderBy('expires_at')
    .execute();
}
