// The controller's certificate authority: one long-lived ECDSA P-256 CA that signs a server
// certificate per amphora agent (IP SANs, serverAuth) and client certificates for the
// controller (clientAuth). The agent trusts only this CA and, because OpenSSL checks the
// extended key usage during the handshake, only its clientAuth certificates: an agent's own
// serverAuth certificate cannot be used to call another agent.
// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs reflect-metadata
// loaded before it; ESM evaluates these imports in order.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { exportPrivateKeyPem, generateKeyPair, importSigningKey } from './pem.ts';

x509.cryptoProvider.set(webcrypto as Crypto);

const SIGNING: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;
/**
 * Issued certificates start a little in the past so a peer whose clock lags still accepts them;
 * a short-lived one (minutes, for tests of renewal) by a tenth of its validity at most, so the
 * backdating does not make up most of its lifetime.
 */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface PemPair {
  certPem: string;
  keyPem: string;
}

interface Validity {
  validityDays?: number;
  /** Overrides `validityDays` where a lifetime is configured in seconds (joined hosts). */
  validitySeconds?: number;
  /** The issuing time; tests move it to make expired certificates. */
  now?: Date;
}

export interface CaOptions extends Validity {
  commonName?: string;
}

export interface ServerCertificateOptions extends Validity {
  commonName: string;
  /** The addresses the controller dials the agent on; at least one. */
  ipAddresses: string[];
  dnsNames?: string[];
}

export interface ClientCertificateOptions extends Validity {
  commonName: string;
}

/**
 * A random 128-bit serial (RFC 5280: unique per CA, at most 20 octets). The first octet is
 * below 0x80 so the DER integer stays positive, and non-zero so its encoding stays minimal.
 */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function validity(options: Validity, defaultDays: number): { notBefore: Date; notAfter: Date } {
  const now = (options.now ?? new Date()).getTime();
  let lifetimeMs: number;
  if (options.validitySeconds !== undefined) {
    if (!Number.isInteger(options.validitySeconds) || options.validitySeconds < 1) throw new Error(`validitySeconds must be a positive integer, got ${options.validitySeconds}`);
    lifetimeMs = options.validitySeconds * 1000;
  } else {
    const days = options.validityDays ?? defaultDays;
    if (!Number.isInteger(days) || days < 1) throw new Error(`validityDays must be a positive integer, got ${days}`);
    lifetimeMs = days * DAY_MS;
  }
  return { notBefore: new Date(now - Math.min(CLOCK_SKEW_MS, lifetimeMs / 10)), notAfter: new Date(now + lifetimeMs) };
}

function dn(commonName: string): string {
  if (!/^[\w .:@-]{1,64}$/.test(commonName)) throw new Error(`unsupported common name ${JSON.stringify(commonName)}`);
  return `CN=${commonName}`;
}

export async function createCertificateAuthority(options: CaOptions = {}): Promise<PemPair> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: dn(options.commonName ?? 'Fulcrum controller CA'),
    ...validity(options, 3650),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

async function certify(ca: PemPair, subject: string, publicKey: CryptoKey | x509.PublicKey, options: Validity, extensions: x509.Extension[]): Promise<string> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: caCert.subject,
    ...validity(options, 365),
    publicKey,
    signingKey: await importSigningKey(ca.keyPem),
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      ...extensions,
    ],
  });
  return cert.toString('pem') + '\n';
}

async function issue(ca: PemPair, subject: string, options: Validity, extensions: x509.Extension[]): Promise<PemPair> {
  const keys = await generateKeyPair();
  return { certPem: await certify(ca, subject, keys.publicKey, options, extensions), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

function serverNames(options: ServerCertificateOptions): x509.Extension[] {
  if (options.ipAddresses.length === 0) throw new Error('a server certificate needs at least one IP address');
  for (const ip of options.ipAddresses) if (isIP(ip) === 0) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
  const names: x509.JsonGeneralName[] = [
    ...options.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
  ];
  return [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]), new x509.SubjectAlternativeNameExtension(names)];
}

export async function issueServerCertificate(ca: PemPair, options: ServerCertificateOptions): Promise<PemPair> {
  return issue(ca, dn(options.commonName), options, serverNames(options));
}

/** A certificate signing request whose signature is wrong or whose key is not P-256 ECDSA. */
export class UnacceptableCsr extends Error {}

/**
 * Signs a server certificate for the key of a certificate signing request (a joining host
 * keeps its private key to itself). The subject and names are the CA's choice, not the
 * request's: what the request asks for is ignored, only its key is certified, and only once
 * its signature proves the requester holds that key.
 */
export async function signServerCsr(ca: PemPair, csrPem: string, options: ServerCertificateOptions): Promise<string> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new UnacceptableCsr(`the certificate signing request cannot be read: ${(err as Error).message}`);
  }
  if (!(await csr.verify().catch(() => false))) throw new UnacceptableCsr('the certificate signing request is not signed by its own key');
  const algorithm = csr.publicKey.algorithm as EcKeyAlgorithm;
  if (algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') throw new UnacceptableCsr('the certificate signing request must carry a P-256 ECDSA key');
  return certify(ca, dn(options.commonName), csr.publicKey, options, serverNames(options));
}

/** A new P-256 key and a request to certify it, for a host that joins (the key never leaves it). */
export async function createCsr(commonName: string): Promise<{ csrPem: string; keyPem: string }> {
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: dn(commonName), keys, signingAlgorithm: SIGNING });
  return { csrPem: csr.toString('pem') + '\n', keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

export async function issueClientCertificate(ca: PemPair, options: ClientCertificateOptions): Promise<PemPair> {
  return issue(ca, dn(options.commonName), options, [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])]);
}
