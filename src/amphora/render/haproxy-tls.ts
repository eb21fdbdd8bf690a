// TLS options of a listener's `bind` line (termination, SNI, client authentication) and of a
// pool's `server` lines (re-encryption to members), with the PEM files they name.
import { ALPN_PROTOCOLS, TLS_VERSIONS } from '../../model/enums.ts';
import type { ListenerNode, PoolNode } from '../../model/lb-graph.ts';
import { certPaths } from './amphora-files.ts';
import { RenderInputError } from './errors.ts';
import { useFile, type RenderEnv } from './haproxy-env.ts';
import { checkCipherString, checkEnum } from './haproxy-quote.ts';

// HAProxy spells TLS 1.0 differently from the API.
const HAPROXY_TLS_VERSION: Record<(typeof TLS_VERSIONS)[number], string> = {
  SSLv3: 'SSLv3',
  TLSv1: 'TLSv1.0',
  'TLSv1.1': 'TLSv1.1',
  'TLSv1.2': 'TLSv1.2',
  'TLSv1.3': 'TLSv1.3',
};

interface TlsParameters {
  tls_versions: string[] | null;
  tls_ciphers: string | null;
  alpn_protocols: string[] | null;
}

/**
 * Protocol versions, ciphers and ALPN. HAProxy only takes a version range: a list with a gap
 * (TLSv1.1 + TLSv1.3) enables the versions in between too.
 */
function tlsParameterWords(p: TlsParameters, owner: string): string[] {
  const words: string[] = [];
  if (p.tls_versions?.length) {
    const indexes = p.tls_versions.map((v) => TLS_VERSIONS.indexOf(checkEnum(v, TLS_VERSIONS, `${owner} tls_versions`)));
    words.push(`ssl-min-ver ${HAPROXY_TLS_VERSION[TLS_VERSIONS[Math.min(...indexes)]]}`);
    words.push(`ssl-max-ver ${HAPROXY_TLS_VERSION[TLS_VERSIONS[Math.max(...indexes)]]}`);
  }
  if (p.tls_ciphers) {
    // OpenSSL takes TLS 1.3 suites and older ciphers through different calls (HAProxy: ciphersuites / ciphers).
    const names = checkCipherString(p.tls_ciphers, `${owner} tls_ciphers`).split(':').filter(Boolean);
    const suites = names.filter((n) => n.startsWith('TLS_'));
    const ciphers = names.filter((n) => !n.startsWith('TLS_'));
    if (ciphers.length) words.push(`ciphers ${ciphers.join(':')}`);
    if (suites.length) words.push(`ciphersuites ${suites.join(':')}`);
  }
  if (p.alpn_protocols?.length) {
    words.push(`alpn ${p.alpn_protocols.map((a) => checkEnum(a, ALPN_PROTOCOLS, `${owner} alpn_protocols`)).join(',')}`);
  }
  return words;
}

function listenerTerminatesTls(listener: ListenerNode): boolean {
  const hasCert = listener.default_tls_container_ref !== null || listener.sni_container_refs.length > 0;
  return listener.protocol === 'TERMINATED_HTTPS' || (listener.protocol === 'PROMETHEUS' && hasCert);
}

/** The TLS words of the listener's bind line; empty when it does not terminate TLS. */
export function bindTlsWords(listener: ListenerNode, env: RenderEnv): string[] {
  if (!listenerTerminatesTls(listener)) return [];
  const dir = env.ctx.paths.certDir;
  const id = listener.id;
  if (listener.default_tls_container_ref === null && listener.sni_container_refs.length === 0) {
    throw new RenderInputError(`listener ${id}: TERMINATED_HTTPS without a certificate`);
  }
  const words = ['ssl'];
  if (listener.default_tls_container_ref !== null) {
    const path = useFile(env, { path: certPaths.listenerDefault(dir, id), kind: 'certificate-bundle', ref: listener.default_tls_container_ref });
    words.push(`crt ${path}`);
  }
  if (listener.sni_container_refs.length > 0) {
    // Without a default certificate HAProxy uses the first one of the list for clients without SNI.
    const pems = listener.sni_container_refs.map((ref, i) =>
      useFile(env, { path: certPaths.listenerSni(dir, id, i), kind: 'certificate-bundle', ref }),
    );
    const content = pems.map((p) => `${p}\n`).join('');
    words.push(`crt-list ${useFile(env, { path: certPaths.listenerCrtList(dir, id), kind: 'crt-list', content })}`);
  }
  const caRef = listener.client_ca_tls_container_ref;
  if (caRef !== null && listener.client_authentication !== 'NONE') {
    const verify = checkEnum(listener.client_authentication, ['OPTIONAL', 'MANDATORY'], `listener ${id} client_authentication`);
    const ca = useFile(env, { path: certPaths.listenerClientCa(dir, id), kind: 'ca-certificates', ref: caRef });
    words.push(`ca-file ${ca} verify ${verify === 'MANDATORY' ? 'required' : 'optional'}`);
    if (listener.client_crl_container_ref !== null) {
      const crl = useFile(env, { path: certPaths.listenerClientCrl(dir, id), kind: 'crl', ref: listener.client_crl_container_ref });
      words.push(`crl-file ${crl}`);
    }
  }
  return [...words, ...tlsParameterWords(listener, `listener ${id}`)];
}

/** The TLS words of every server line of the pool; empty when it does not re-encrypt. */
export function serverTlsWords(pool: PoolNode, env: RenderEnv): string[] {
  if (!pool.tls_enabled) return [];
  const dir = env.ctx.paths.certDir;
  const words = ['ssl'];
  if (pool.tls_container_ref !== null) {
    words.push(`crt ${useFile(env, { path: certPaths.poolClientCert(dir, pool.id), kind: 'certificate-bundle', ref: pool.tls_container_ref })}`);
  }
  if (pool.ca_tls_container_ref !== null) {
    words.push(`ca-file ${useFile(env, { path: certPaths.poolCa(dir, pool.id), kind: 'ca-certificates', ref: pool.ca_tls_container_ref })}`);
    if (pool.crl_container_ref !== null) {
      words.push(`crl-file ${useFile(env, { path: certPaths.poolCrl(dir, pool.id), kind: 'crl', ref: pool.crl_container_ref })}`);
    }
    words.push('verify required');
  } else {
    words.push('verify none');
  }
  // Pass on the client's SNI (TERMINATED_HTTPS) so members can pick their certificate; verified against it.
  words.push('sni ssl_fc_sni');
  return [...words, ...tlsParameterWords(pool, `pool ${pool.id}`)];
}
