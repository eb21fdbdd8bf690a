// The file-naming contract between the rendered config and the amphora agent: which files the
// config names, where, and what goes into each. The renderer lists every file it references
// (`AmphoraFile`), so the agent writes exactly those before it runs `haproxy -c`.
import type { AmphoraPaths } from './context.ts';

export type AmphoraFile =
  /** PEM: certificate, its chain and the private key, from the key-manager secret `ref`. */
  | { path: string; kind: 'certificate-bundle'; ref: string }
  /** PEM: one or more CA certificates from `ref`. */
  | { path: string; kind: 'ca-certificates'; ref: string }
  /** PEM: a certificate revocation list from `ref`. */
  | { path: string; kind: 'crl'; ref: string }
  /** Text rendered here, written verbatim. */
  | { path: string; kind: 'crt-list'; content: string };

export function statsSocketPath(paths: AmphoraPaths): string {
  return `${paths.runDir}/haproxy.sock`;
}

/** Certificate files are named by the id of the listener or pool they belong to. */
export const certPaths = {
  listenerDefault: (certDir: string, listenerId: string) => `${certDir}/${listenerId}.pem`,
  /** One per `sni_container_refs` entry, numbered in list order. */
  listenerSni: (certDir: string, listenerId: string, index: number) => `${certDir}/${listenerId}-sni-${index}.pem`,
  listenerCrtList: (certDir: string, listenerId: string) => `${certDir}/${listenerId}.crt-list`,
  listenerClientCa: (certDir: string, listenerId: string) => `${certDir}/${listenerId}-client-ca.pem`,
  listenerClientCrl: (certDir: string, listenerId: string) => `${certDir}/${listenerId}-client-crl.pem`,
  poolClientCert: (certDir: string, poolId: string) => `${certDir}/${poolId}.pem`,
  poolCa: (certDir: string, poolId: string) => `${certDir}/${poolId}-ca.pem`,
  poolCrl: (certDir: string, poolId: string) => `${certDir}/${poolId}-crl.pem`,
};
