// The TLS columns and certificate refs of a pool's create and update, and the check and row of
// a new pool, shared by its own routes and a fully-populated LB create.
import type { Static } from 'typebox';
import type { ApiDeps } from '../deps.ts';
import type { Db } from '../../db/database.ts';
import type { SessionPersistence } from '../../db/schema.ts';
import type { LoadBalancerRow } from '../octavia/loadbalancer.ts';
import type { PoolCreate } from '../octavia/pool.ts';
import { adminStateUp } from '../octavia/common.ts';
import { ValidationFailure } from '../../errors.ts';
import { resolveSessionPersistence } from '../../model/session-persistence.ts';
import { TLS_DEFAULTS } from '../../model/enums.ts';
import { checkPoolRefs, type PoolRefs } from '../../certs/ref-check.ts';
import { secretStoreFor } from '../../certs/secret-store.ts';

type TlsInput = Pick<Static<typeof PoolCreate>['pool'], 'tls_ciphers' | 'tls_versions' | 'alpn_protocols' | 'tls_container_ref' | 'ca_tls_container_ref' | 'crl_container_ref'>;

/** The TLS columns a pool create or update writes; absent keys are left alone. */
export function tlsColumns(body: TlsInput) {
  const out: Record<string, unknown> = {};
  for (const key of ['tls_container_ref', 'ca_tls_container_ref', 'crl_container_ref', 'tls_ciphers'] as const) {
    if (body[key] !== undefined) out[key] = body[key];
  }
  if (body.tls_versions !== undefined) out.tls_versions = JSON.stringify(body.tls_versions);
  if (body.alpn_protocols !== undefined) out.alpn_protocols = JSON.stringify(body.alpn_protocols);
  return out;
}

/** The pool's certificate refs after the write: the body's where given, else the stored ones. */
export function poolRefs(body: TlsInput, stored: Partial<PoolRefs> = {}): PoolRefs {
  const pick = (key: keyof PoolRefs) => (body[key] !== undefined ? body[key] : stored[key]) ?? null;
  return { tls_container_ref: pick('tls_container_ref'), ca_tls_container_ref: pick('ca_tls_container_ref'), crl_container_ref: pick('crl_container_ref') };
}

/** A pool create body without the ids that attach it. */
export type NewPool = Omit<Static<typeof PoolCreate>['pool'], 'loadbalancer_id' | 'listener_id'>;

/**
 * Checks a new pool on `lb` (session persistence, provider support, certificate refs), for its
 * POST and for a fully-populated LB create; returns what to store for the persistence and the
 * certificate ids the create must hold.
 */
export async function checkNewPool(deps: ApiDeps, db: Db, lb: Pick<LoadBalancerRow, 'project_id' | 'provider'>, body: NewPool) {
  const sessionPersistence = resolveSessionPersistence(body.session_persistence ?? null, body.protocol);
  deps.providers.get(lb.provider)?.checkSupport({ lbAlgorithm: body.lb_algorithm, poolProtocol: body.protocol });
  if (body.crl_container_ref && !body.ca_tls_container_ref) {
    throw new ValidationFailure('A CA certificate reference is required to specify a certificate revocation list.');
  }
  const certIds = await checkPoolRefs(db, () => secretStoreFor(deps.config), lb.project_id, poolRefs(body), (f) => f in body);
  return { sessionPersistence, certIds };
}

/** The row of a new pool of `lb`, PENDING_CREATE and OFFLINE; TLS defaults when TLS is on. */
export function newPoolRow(id: string, lb: Pick<LoadBalancerRow, 'id' | 'project_id'>, body: NewPool, sp: SessionPersistence | null) {
  const tlsEnabled = body.tls_enabled === true;
  return {
    id,
    project_id: lb.project_id,
    load_balancer_id: lb.id,
    name: body.name ?? '',
    description: body.description ?? '',
    admin_state_up: adminStateUp(body.admin_state_up),
    provisioning_status: 'PENDING_CREATE',
    operating_status: 'OFFLINE',
    protocol: body.protocol,
    lb_algorithm: body.lb_algorithm,
    session_persistence: JSON.stringify(sp),
    tls_enabled: tlsEnabled,
    tags: JSON.stringify(body.tags ?? []),
    tls_versions: JSON.stringify(tlsEnabled ? TLS_DEFAULTS.versions : null),
    alpn_protocols: JSON.stringify(tlsEnabled ? TLS_DEFAULTS.alpn : null),
    tls_ciphers: tlsEnabled ? TLS_DEFAULTS.ciphers : null,
    ...tlsColumns(body),
  };
}
