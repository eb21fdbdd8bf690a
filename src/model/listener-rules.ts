// Listener validation on the whole resulting listener (create, or stored state + update),
// in the order of docs/octavia-compatibility.md §5.3. Pure.
import { InvalidOption, ValidationFailure } from '../errors.ts';
import { INSERT_HEADERS } from './enums.ts';
import { cidrFamily } from './cidr.ts';

export interface ListenerState {
  protocol: string;
  insert_headers: Record<string, string>;
  default_tls_container_ref: string | null;
  sni_container_refs: string[];
  client_ca_tls_container_ref: string | null;
  client_authentication: string;
  client_crl_container_ref: string | null;
  allowed_cidrs: string[];
  tls_versions: string[] | null;
  alpn_protocols: string[] | null;
  hsts_max_age: number | null;
  hsts_include_subdomains: boolean;
  hsts_preload: boolean;
  default_pool_id: string | null;
}

const HTTP_LIKE = new Set(['HTTP', 'TERMINATED_HTTPS']);
const TLS_CAPABLE = new Set(['TERMINATED_HTTPS', 'PROMETHEUS']);

function checkInsertHeaders(s: ListenerState): void {
  const keys = Object.keys(s.insert_headers);
  if (keys.length === 0) return;
  if (!HTTP_LIKE.has(s.protocol)) throw new InvalidOption('insert-headers', `a ${s.protocol} protocol listener.`);
  for (const key of keys) {
    if (!(INSERT_HEADERS as readonly string[]).includes(key)) throw new InvalidOption(key, 'insert_headers');
    if (key.startsWith('X-SSL-') && s.protocol !== 'TERMINATED_HTTPS') {
      throw new InvalidOption(key, `insert_headers of a ${s.protocol} protocol listener`);
    }
    if (!/^(true|false)$/i.test(s.insert_headers[key])) throw new InvalidOption(s.insert_headers[key], `insert_headers ${key}`);
  }
}

function checkTls(s: ListenerState): void {
  const hasServerCert = s.default_tls_container_ref !== null || s.sni_container_refs.length > 0;
  const hasAnyRef = hasServerCert || s.client_ca_tls_container_ref !== null || s.client_crl_container_ref !== null;
  if (hasAnyRef && !TLS_CAPABLE.has(s.protocol)) {
    throw new ValidationFailure(`Certificate container references are only allowed on TERMINATED_HTTPS or PROMETHEUS listeners, not ${s.protocol}.`);
  }
  if (s.protocol === 'TERMINATED_HTTPS' && !hasServerCert) {
    throw new ValidationFailure('An SNI or default certificate container reference must be provided for TERMINATED_HTTPS listeners.');
  }
  if (s.client_ca_tls_container_ref !== null && !hasServerCert) {
    throw new ValidationFailure('An SNI or default certificate container reference must be provided with a client CA container reference.');
  }
  if (s.client_authentication !== 'NONE' && s.client_ca_tls_container_ref === null) {
    throw new ValidationFailure('Client authentication setting requires a client CA container reference.');
  }
  if (s.client_crl_container_ref !== null && s.client_ca_tls_container_ref === null) {
    throw new ValidationFailure('A client authentication CA reference is required to specify a client authentication revocation list.');
  }
  if (s.tls_versions !== null && s.tls_versions.length === 0) throw new ValidationFailure('tls_versions must not be empty.');
  if (s.alpn_protocols !== null && s.alpn_protocols.length === 0) throw new ValidationFailure('alpn_protocols must not be empty.');
  if ((s.hsts_include_subdomains || s.hsts_preload) && s.hsts_max_age === null) {
    throw new ValidationFailure('HSTS configuration options hsts_include_subdomains and hsts_preload only take effect if hsts_max_age is set as well.');
  }
  if (s.hsts_max_age !== null && s.protocol !== 'TERMINATED_HTTPS') {
    throw new ValidationFailure('The HSTS feature can only be used for listeners using the TERMINATED_HTTPS protocol.');
  }
}

export function validateListener(s: ListenerState, vipFamilies: number[]): void {
  checkInsertHeaders(s);
  if ((s.protocol === 'UDP' || s.protocol === 'SCTP') && Object.keys(s.insert_headers).length > 0) {
    throw new InvalidOption('insert-headers', `a ${s.protocol} protocol listener.`);
  }
  checkTls(s);
  for (const cidr of s.allowed_cidrs) {
    if (!vipFamilies.includes(cidrFamily(cidr))) {
      throw new ValidationFailure(`CIDR ${cidr} IP version incompatible with all VIPs ${vipFamilies.map((f) => `IPv${f}`).join(', ')} IP version.`);
    }
  }
  if (s.protocol === 'PROMETHEUS' && s.default_pool_id !== null) {
    throw new ValidationFailure('Protocol PROMETHEUS listeners cannot have child objects.');
  }
}
