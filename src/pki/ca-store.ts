// The controller CA lives in the database, so every controller process (api, worker, health)
// issues and trusts the same certificates. The first process to start creates it. Its private
// key is sealed under the operator's secret key like tenant secrets (src/certs/secret-store.ts):
// whoever reads the database alone cannot mint an agent client certificate.
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { SecretStore } from '../certs/secret-store.ts';
import { createCertificateAuthority, issueClientCertificate, type PemPair } from './certificate-authority.ts';

/** Binds the sealed key to its row, so a sealed key copied onto another CA's row does not open. */
const sealContext = (name: string) => `certificate_authority:${name}:key`;

async function stored(db: Db, name: string) {
  return db.selectFrom('certificate_authority').select(['cert_pem', 'key_pem', 'key_sealed']).where('name', '=', name).executeTakeFirst();
}

/**
 * Seals the keys an older Fulcrum stored in plaintext; the names of the CAs it sealed. The
 * update leaves the plaintext in a dead row version: VACUUM FULL rewrites the table file
 * without it (the write-ahead log and backups made before keep their copy: rotate the CA where
 * those may have been read). `store` is asked for only when there is something to seal.
 */
export async function sealPlaintextCaKeys(db: Db, store: () => SecretStore): Promise<string[]> {
  const plain = await db.selectFrom('certificate_authority').select(['name', 'key_pem']).where('key_pem', 'is not', null).execute();
  const sealed: string[] = [];
  for (const row of plain) {
    const { numUpdatedRows } = await db
      .updateTable('certificate_authority')
      .set({ key_sealed: store().seal(row.key_pem!, sealContext(row.name)), key_pem: null })
      .where('name', '=', row.name)
      .where('key_pem', 'is not', null)
      .executeTakeFirst();
    if (numUpdatedRows > 0n) sealed.push(row.name);
  }
  if (sealed.length > 0) await sql`vacuum full certificate_authority`.execute(db);
  return sealed;
}

export async function controllerCa(db: Db, store: SecretStore, name = 'amphora-agents'): Promise<PemPair> {
  let row = await stored(db, name);
  if (!row) {
    const ca = await createCertificateAuthority({ commonName: `Fulcrum ${name} CA` });
    await db
      .insertInto('certificate_authority')
      .values({ name, cert_pem: ca.certPem, key_sealed: store.seal(ca.keyPem, sealContext(name)) })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    // Another process may have won the race; everyone uses the stored one.
    row = await stored(db, name);
  }
  if (!row?.key_sealed) throw new Error(`the controller CA ${name} has no sealed key (is an older Fulcrum still writing to this database?)`);
  return { certPem: row.cert_pem, keyPem: store.open(row.key_sealed, sealContext(name)) };
}

/** The controller's credentials for talking to agents: a client certificate of this process. */
export async function controllerClientTls(ca: PemPair): Promise<{ ca: string; cert: string; key: string }> {
  const client = await issueClientCertificate(ca, { commonName: 'fulcrum-controller' });
  return { ca: ca.certPem, cert: client.certPem, key: client.keyPem };
}
