// /v2/fulcrum/certificates: the built-in certificate store that listeners and pools name in
// their *_container_ref fields. Uploads are PEM (certificate + key + chain, a CA bundle, a
// CRL) or PKCS#12; responses carry metadata and the reference to use, never key material.
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import type { Db } from '../../db/database.ts';
import { baseUrl } from '../links.ts';
import { fetchRow, listResource, type ResourceSpec } from '../resource.ts';
import { octaviaTime } from '../octavia/common.ts';
import { IdParams, Name, Nullable, ProjectId, Strict, StringEnum, Tags, Type, Wrapped } from '../octavia/schema-types.ts';
import { authorize } from '../../auth/policy.ts';
import { Conflict, ValidationFailure } from '../../errors.ts';
import { insertCertificate, type CertificateRow } from '../../certs/certificate-store.ts';
import { certificateIdFromRef, certificateRef } from '../../certs/container-ref.ts';
import { parseCaBundle, parseCrl, parseServerBundle, type ParsedCertificate } from '../../certs/pem-bundle.ts';
import { pkcs12ToPem } from '../../certs/pkcs12.ts';
import { refsOfListener, refsOfPool } from '../../certs/ref-check.ts';
import { secretStoreFor } from '../../certs/secret-store.ts';

const Pem = Type.String({ minLength: 1, maxLength: 65_536 });
const CertificateCreate = Wrapped(
  'certificate',
  Strict({
    name: Type.Optional(Nullable(Name)),
    type: StringEnum(['certificate', 'ca', 'crl'] as const),
    certificate: Type.Optional(Pem),
    private_key: Type.Optional(Pem),
    intermediates: Type.Optional(Pem),
    pkcs12: Type.Optional(Type.String({ minLength: 1, maxLength: 98_304, pattern: '^[A-Za-z0-9+/=\\s]+$' })),
    passphrase: Type.Optional(Type.String({ maxLength: 1024 })),
    ca: Type.Optional(Pem),
    crl: Type.Optional(Pem),
    project_id: Type.Optional(ProjectId),
    tags: Type.Optional(Tags),
  }),
);
type CreateBody = Static<typeof CertificateCreate>['certificate'];

/** The content fields each type takes; the others are refused rather than ignored. */
const FIELDS_OF_TYPE: Record<CreateBody['type'], (keyof CreateBody)[]> = {
  certificate: ['certificate', 'private_key', 'intermediates', 'pkcs12', 'passphrase'],
  ca: ['ca'],
  crl: ['crl'],
};
const CONTENT_FIELDS = ['certificate', 'private_key', 'intermediates', 'pkcs12', 'passphrase', 'ca', 'crl'] as const;

function parseUpload(body: CreateBody): ParsedCertificate {
  for (const field of CONTENT_FIELDS) {
    if (body[field] !== undefined && !FIELDS_OF_TYPE[body.type].includes(field)) {
      throw new ValidationFailure(`Field "${field}" is not allowed for certificates of type ${body.type}.`);
    }
  }
  switch (body.type) {
    case 'ca':
      if (body.ca === undefined) throw new ValidationFailure('Field "ca" (PEM CA certificates) is required for type ca.');
      return parseCaBundle(body.ca);
    case 'crl':
      if (body.crl === undefined) throw new ValidationFailure('Field "crl" (a PEM certificate revocation list) is required for type crl.');
      return parseCrl(body.crl);
    case 'certificate': {
      if (body.pkcs12 !== undefined) {
        if (body.certificate !== undefined || body.private_key !== undefined) {
          throw new ValidationFailure('Give either pkcs12 or certificate and private_key, not both.');
        }
        return parseServerBundle({ ...pkcs12ToPem(body.pkcs12, body.passphrase), intermediates: body.intermediates });
      }
      if (body.certificate === undefined || body.private_key === undefined) {
        throw new ValidationFailure('Type certificate needs certificate and private_key (PEM), or pkcs12.');
      }
      return parseServerBundle({ certificate: body.certificate, private_key: body.private_key, intermediates: body.intermediates, passphrase: body.passphrase });
    }
  }
}

function view(row: CertificateRow, apiBase: string) {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    project_id: row.project_id,
    ref: certificateRef(apiBase, row.id),
    subject: row.subject,
    issuer: row.issuer,
    subject_alt_names: row.subject_alt_names ?? [],
    fingerprint_sha256: row.fingerprint_sha256,
    not_before: octaviaTime(row.not_before),
    expires_at: octaviaTime(row.expires_at),
    tags: row.tags ?? [],
    created_at: octaviaTime(row.created_at),
    updated_at: octaviaTime(row.updated_at),
  };
}

function certificateSpec(apiBase: string): ResourceSpec<CertificateRow> {
  return {
    table: 'certificate',
    displayName: 'Certificate',
    single: 'certificate',
    plural: 'certificates',
    attrs: {
      id: { column: 'id', type: 'uuid' },
      name: { column: 'name', type: 'string' },
      project_id: { column: 'project_id', type: 'string' },
      type: { column: 'type', type: 'string' },
      subject: { column: 'subject', type: 'string' },
      fingerprint_sha256: { column: 'fingerprint_sha256', type: 'string' },
      expires_at: { column: 'expires_at', type: 'time' },
      created_at: { column: 'created_at', type: 'time' },
      updated_at: { column: 'updated_at', type: 'time' },
    },
    serialize: async (_db, rows) => rows.map((r) => view(r, apiBase)),
  };
}

/** The listeners and pools whose refs name certificate `id` (refs may be in any accepted form). */
async function usersOf(db: Db, row: CertificateRow): Promise<string[]> {
  const names = (refs: string[]) => refs.some((ref) => certificateIdFromRef(ref) === row.id);
  const listeners = await db
    .selectFrom('listener')
    .select(['id', 'default_tls_container_ref', 'sni_container_refs', 'client_ca_tls_container_ref', 'client_crl_container_ref'])
    .where('project_id', '=', row.project_id)
    .execute();
  const pools = await db.selectFrom('pool').select(['id', 'tls_container_ref', 'ca_tls_container_ref', 'crl_container_ref']).where('project_id', '=', row.project_id).execute();
  return [
    ...listeners.filter((l) => names(refsOfListener({ ...l, sni_container_refs: l.sni_container_refs ?? [] }))).map((l) => `listener ${l.id}`),
    ...pools.filter((p) => names(refsOfPool(p))).map((p) => `pool ${p.id}`),
  ];
}

function projectOf(request: FastifyRequest, body: CreateBody): string {
  const project = body.project_id ?? request.auth.projectId;
  if (!project) {
    throw new ValidationFailure('Missing project ID in request where one is required. An X-Project-Id header or a project_id in the body must be given.');
  }
  return project;
}

export async function certificateRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/fulcrum/certificates';
  const apiBase = (request: FastifyRequest) => baseUrl(request, deps.config.apiBaseUri);

  app.get(base, { config: { policy: 'fulcrum:certificate:get_all' } }, async (request) => listResource(request, deps, certificateSpec(apiBase(request))));

  app.get(`${base}/:id`, { config: { policy: 'fulcrum:certificate:get_one' }, schema: { params: IdParams } }, async (request) => {
    const row = await fetchRow(request, db, certificateSpec(''), request.params.id);
    return { certificate: view(row, apiBase(request)) };
  });

  app.post(base, { config: { policy: 'fulcrum:certificate:post' }, schema: { body: CertificateCreate } }, async (request, reply) => {
    const body = request.body.certificate;
    const projectId = projectOf(request, body);
    authorize(request, projectId);
    const parsed = parseUpload(body);
    const row = await insertCertificate(db, secretStoreFor(deps.config), { id: randomUUID(), projectId, name: body.name ?? '', tags: body.tags ?? [], parsed });
    return reply.status(201).send({ certificate: view(row, apiBase(request)) });
  });

  app.delete(`${base}/:id`, { config: { policy: 'fulcrum:certificate:delete' }, schema: { params: IdParams } }, async (request, reply) => {
    const existing = await fetchRow(request, db, certificateSpec(''), request.params.id);
    await db.transaction().execute(async (trx) => {
      // Locked, so a listener or pool being written with a reference to it waits or fails (ref-check.ts).
      const row = await trx.selectFrom('certificate').selectAll().where('id', '=', existing.id).forUpdate().executeTakeFirst();
      if (!row) return;
      const users = await usersOf(trx, row);
      if (users.length > 0) throw new Conflict(`Certificate ${row.id} is in use by ${users.join(', ')} and cannot be deleted.`);
      await trx.deleteFrom('certificate').where('id', '=', row.id).execute();
    });
    return reply.status(204).send();
  });
}
