// A host joining the inventory (POST /v2/fulcrum/hosts/join): the one-time token is the
// credential. In one transaction the token is locked and checked, the host registered and the
// token spent; the certificate is signed for the host's own key (its CSR) with the host id as
// its common name (src/inventory/host-certificate.ts, where renewals are signed too), which
// the controller checks whenever it calls that agent, so a host presenting another host's
// certificate is refused. A bad request spends no token.
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { ApiDeps } from './deps.ts';
import { Conflict, FulcrumError, InvalidInput } from '../errors.ts';
import { controllerCa } from '../pki/ca-store.ts';
import { secretStoreFor } from '../certs/secret-store.ts';
import { UnacceptableCsr } from '../pki/certificate-authority.ts';
import { certificateColumns, signHostCertificate, type HostCertificateRecord } from '../inventory/host-certificate.ts';
import { lockJoinToken, spendJoinToken } from '../inventory/join-tokens.ts';
import type { HostRow } from '../inventory/host-store.ts';
import { isUniqueViolation } from '../db/unique-violation.ts';

/** A join refused for its token: no credentials that count. */
export class JoinRefused extends FulcrumError {
  constructor(reason: string) {
    super('LB_ERR_JOIN_REFUSED', 401, `Host join refused: ${reason}.`);
  }
}

export interface JoinRequest {
  token: string;
  csr: string;
  name: string;
  address: string;
  port: number;
  availability_zone?: string | null;
  capacity?: number | null;
  labels?: Record<string, string>;
}

export async function joinHost(deps: ApiDeps, request: JoinRequest): Promise<{ host: HostRow; certificatePem: string; caPem: string }> {
  if (isIP(request.address) === 0) throw new InvalidInput(`Invalid input: address ${JSON.stringify(request.address)} is not an IP address.`);
  const ca = await controllerCa(deps.database.db, secretStoreFor(deps.config));
  const id = randomUUID();
  let certificatePem: string;
  let record: HostCertificateRecord;
  try {
    // Signed before the transaction: a CSR that cannot be signed spends no token.
    ({ certificatePem, record } = await signHostCertificate(ca, request.csr, { id, address: request.address }, deps.config.hostCertValiditySeconds));
  } catch (err) {
    if (err instanceof UnacceptableCsr) throw new InvalidInput(`Invalid input: ${err.message}.`);
    throw err;
  }
  try {
    const host = await deps.database.db.transaction().execute(async (trx) => {
      const verdict = await lockJoinToken(trx, request.token);
      if (!verdict.ok) throw new JoinRefused(verdict.reason);
      const row = await trx
        .insertInto('host')
        .values({
          id,
          name: request.name,
          kind: 'joined',
          address: request.address,
          port: request.port,
          availability_zone: request.availability_zone ?? null,
          capacity: request.capacity ?? null,
          labels: JSON.stringify(request.labels ?? {}),
          last_seen_at: new Date(),
          ...certificateColumns(record),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await spendJoinToken(trx, request.token, id);
      return row;
    });
    return { host, certificatePem, caPem: ca.certPem };
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(`A host named ${request.name} or at ${request.address}:${request.port} is in the inventory already.`);
    throw err;
  }
}
