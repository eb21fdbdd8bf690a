// The contents of the files a rendered haproxy.cfg names (AmphoraFile), for the agent to write
// before it checks the config: certificate references opened from the store, rendered text as is.
import type { AmphoraFile } from '../amphora/render/amphora-files.ts';
import type { AmphoraFileContent } from '../agent/cert-files.ts';
import type { Db } from '../db/database.ts';
import { FulcrumError } from '../errors.ts';
import { certificatesById, openPayload } from './certificate-store.ts';
import { certificateIdFromRef } from './container-ref.ts';
import { payloadPem, type CertificateType } from './pem-bundle.ts';
import type { SecretStore } from './secret-store.ts';

const TYPE_OF_KIND: Record<Exclude<AmphoraFile['kind'], 'crt-list'>, CertificateType> = {
  'certificate-bundle': 'certificate',
  'ca-certificates': 'ca',
  crl: 'crl',
};

/** A reference the API accepted no longer opens: deleted behind its back, or a foreign ref. */
export class CertificateUnavailable extends FulcrumError {
  constructor(path: string, ref: string, why: string) {
    super('LB_ERR_CERTIFICATE_UNAVAILABLE', 500, `cannot provide ${path}: certificate ${ref} ${why}`);
  }
}

export async function amphoraFileContents(db: Db, store: SecretStore, files: AmphoraFile[]): Promise<AmphoraFileContent[]> {
  const ids = files.flatMap((f) => (f.kind === 'crt-list' ? [] : [certificateIdFromRef(f.ref)].filter((id): id is string => id !== null)));
  const rows = await certificatesById(db, ids);
  return files.map((file) => {
    if (file.kind === 'crt-list') return { path: file.path, content: file.content };
    const id = certificateIdFromRef(file.ref);
    const row = id === null ? undefined : rows.get(id);
    if (!row) throw new CertificateUnavailable(file.path, file.ref, 'is not in the certificate store');
    if (row.type !== TYPE_OF_KIND[file.kind]) throw new CertificateUnavailable(file.path, file.ref, `is a ${row.type}, not a ${TYPE_OF_KIND[file.kind]}`);
    return { path: file.path, content: payloadPem(openPayload(store, row)) };
  });
}
