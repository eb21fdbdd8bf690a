// The controller CA lives in the database, so every controller process (api, worker, health)
// issues and trusts the same certificates. The first process to start creates it.
import type { Db } from '../db/database.ts';
import { createCertificateAuthority, issueClientCertificate, type PemPair } from './certificate-authority.ts';

export async function controllerCa(db: Db, name = 'amphora-agents'): Promise<PemPair> {
  const existing = await db.selectFrom('certificate_authority').select(['cert_pem', 'key_pem']).where('name', '=', name).executeTakeFirst();
  if (existing) return { certPem: existing.cert_pem, keyPem: existing.key_pem };
  const ca = await createCertificateAuthority({ commonName: `Fulcrum ${name} CA` });
  await db.insertInto('certificate_authority').values({ name, cert_pem: ca.certPem, key_pem: ca.keyPem }).onConflict((oc) => oc.column('name').doNothing()).execute();
  // Another process may have won the race; everyone uses the stored one.
  const stored = await db.selectFrom('certificate_authority').select(['cert_pem', 'key_pem']).where('name', '=', name).executeTakeFirstOrThrow();
  return { certPem: stored.cert_pem, keyPem: stored.key_pem };
}

/** The controller's credentials for talking to agents: a client certificate of this process. */
export async function controllerClientTls(ca: PemPair): Promise<{ ca: string; cert: string; key: string }> {
  const client = await issueClientCertificate(ca, { commonName: 'fulcrum-controller' });
  return { ca: ca.certPem, cert: client.certPem, key: client.keyPem };
}
