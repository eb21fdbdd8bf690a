// The columns of a listener's create and update, the listener as validation sees it, and the
// check and row of a new listener, shared by its own routes and a fully-populated LB create.
import { isIP } from 'node:net';
import type { Static } from 'typebox';
import type { ApiDeps } from '../deps.ts';
import type { Db } from '../../db/database.ts';
import type { LoadBalancerRow } from '../octavia/loadbalancer.ts';
import type { ListenerCreate, ListenerInput, ListenerRow } from '../octavia/listener.ts';
import { adminStateUp } from '../octavia/common.ts';
import { LISTENER_TIMEOUT_DEFAULTS, TLS_DEFAULTS } from '../../model/enums.ts';
import { validateListener, type ListenerState } from '../../model/listener-rules.ts';
import { normaliseCidr } from '../../model/cidr.ts';
import { checkListenerRefs } from '../../certs/ref-check.ts';
import { secretStoreFor } from '../../certs/secret-store.ts';

const TIMEOUTS = Object.keys(LISTENER_TIMEOUT_DEFAULTS) as (keyof typeof LISTENER_TIMEOUT_DEFAULTS)[];

/**
 * The columns a create or update writes: explicit nulls reset to defaults (docs/octavia-compatibility.md §5.3),
 * absent keys are left alone.
 */
export function listenerColumns(body: ListenerInput, protocol: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const tls = protocol === 'TERMINATED_HTTPS';
  const set = (key: string, value: unknown) => {
    if (value !== undefined) out[key] = value;
  };
  if (body.name !== undefined) out.name = body.name ?? '';
  if (body.description !== undefined) out.description = body.description ?? '';
  if (body.admin_state_up !== undefined) out.admin_state_up = body.admin_state_up ?? false;
  if (body.connection_limit !== undefined) out.connection_limit = body.connection_limit ?? -1;
  set('default_pool_id', body.default_pool_id);
  set('default_tls_container_ref', body.default_tls_container_ref);
  if (body.sni_container_refs !== undefined) out.sni_container_refs = JSON.stringify(body.sni_container_refs ?? []);
  set('client_ca_tls_container_ref', body.client_ca_tls_container_ref);
  if (body.client_authentication !== undefined) out.client_authentication = body.client_authentication ?? 'NONE';
  set('client_crl_container_ref', body.client_crl_container_ref);
  if (body.insert_headers !== undefined) out.insert_headers = JSON.stringify(body.insert_headers ?? {});
  for (const key of TIMEOUTS) if (body[key] !== undefined) out[key] = body[key] ?? LISTENER_TIMEOUT_DEFAULTS[key];
  if (body.allowed_cidrs !== undefined) out.allowed_cidrs = JSON.stringify([...new Set((body.allowed_cidrs ?? []).map(normaliseCidr))]);
  if (body.tls_ciphers !== undefined) out.tls_ciphers = body.tls_ciphers ?? (tls ? TLS_DEFAULTS.ciphers : null);
  if (body.tls_versions !== undefined) out.tls_versions = JSON.stringify(body.tls_versions ?? (tls ? TLS_DEFAULTS.versions : null));
  if (body.alpn_protocols !== undefined) out.alpn_protocols = JSON.stringify(body.alpn_protocols ?? (tls ? TLS_DEFAULTS.alpn : null));
  set('hsts_max_age', body.hsts_max_age);
  if (body.hsts_include_subdomains !== undefined) out.hsts_include_subdomains = body.hsts_include_subdomains ?? false;
  if (body.hsts_preload !== undefined) out.hsts_preload = body.hsts_preload ?? false;
  if (body.tags !== undefined) out.tags = JSON.stringify(body.tags);
  return out;
}

/** The listener as it will be after the write, for validation. */
export function listenerState(protocol: string, stored: Partial<ListenerRow>, body: ListenerInput): ListenerState {
  const pick = <K extends keyof ListenerState>(key: K, fallback: ListenerState[K]): ListenerState[K] => {
    const v = (body as Record<string, unknown>)[key];
    if (v !== undefined) return (v ?? fallback) as ListenerState[K];
    return ((stored as Record<string, unknown>)[key] ?? fallback) as ListenerState[K];
  };
  return {
    protocol,
    insert_headers: pick('insert_headers', {}),
    default_tls_container_ref: pick('default_tls_container_ref', null),
    sni_container_refs: pick('sni_container_refs', []),
    client_ca_tls_container_ref: pick('client_ca_tls_container_ref', null),
    client_authentication: pick('client_authentication', 'NONE'),
    client_crl_container_ref: pick('client_crl_container_ref', null),
    allowed_cidrs: pick('allowed_cidrs', []),
    tls_versions: pick('tls_versions', null),
    alpn_protocols: pick('alpn_protocols', null),
    hsts_max_age: pick('hsts_max_age', null),
    hsts_include_subdomains: pick('hsts_include_subdomains', false),
    hsts_preload: pick('hsts_preload', false),
    default_pool_id: pick('default_pool_id', null),
  };
}

/** A listener create body; TERMINATED_HTTPS gets its TLS defaults (docs/octavia-compatibility.md §5.3). */
export type NewListener = Omit<Static<typeof ListenerCreate>['listener'], 'loadbalancer_id'>;

function withCreateDefaults(body: NewListener): ListenerInput {
  const tls = body.protocol === 'TERMINATED_HTTPS';
  return { ...(tls ? { tls_versions: null, alpn_protocols: null, tls_ciphers: null } : {}), ...body };
}

/**
 * Checks a new listener on `lb` (field rules, certificate refs, provider support), for its
 * POST and for a fully-populated LB create; returns the certificate ids the create must hold.
 */
export async function checkNewListener(
  deps: ApiDeps,
  db: Db,
  lb: Pick<LoadBalancerRow, 'vip_address' | 'project_id' | 'provider'>,
  body: NewListener,
): Promise<string[]> {
  const state = listenerState(body.protocol, {}, withCreateDefaults(body));
  validateListener(state, lb.vip_address ? [isIP(lb.vip_address)] : [4, 6]);
  const certIds = await checkListenerRefs(db, () => secretStoreFor(deps.config), lb.project_id, state, (f) => f in body);
  deps.providers.get(lb.provider)?.checkSupport({ listenerProtocol: body.protocol });
  return certIds;
}

/** The row of a new listener of `lb`, PENDING_CREATE and OFFLINE. */
export function newListenerRow(id: string, lb: Pick<LoadBalancerRow, 'id' | 'project_id'>, body: NewListener) {
  return {
    id,
    project_id: lb.project_id,
    load_balancer_id: lb.id,
    provisioning_status: 'PENDING_CREATE',
    operating_status: 'OFFLINE',
    protocol: body.protocol,
    protocol_port: body.protocol_port,
    name: '',
    description: '',
    admin_state_up: adminStateUp(body.admin_state_up),
    ...LISTENER_TIMEOUT_DEFAULTS,
    ...listenerColumns(withCreateDefaults(body), body.protocol),
  };
}
