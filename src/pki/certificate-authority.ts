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
/** Issued certificates start a little in the past so a peer whose clock lags still accepts them. */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface PemPair {
  certPem: string;
  keyPem: string;
}

interface Validity {
  validityDays?: number;
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
  const days = options.validityDays ?? defaultDays;
  if (!Number.isInteger(days) || days < 1) throw new Error(`validityDays must be a positive integer, got ${days}`);
  return { notBefore: new Date(now - CLOCK_SKEW_MS), notAfter: new Date(now + days * DAY_MS) };
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

async function issue(ca: PemPair, subject: string, options: Validity, extensions: x509.Extension[]): Promise<PemPair> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: caCert.subject,
    ...validity(options, 365),
    publicKey: keys.publicKey,
    signingKey: await importSigningKey(ca.keyPem),
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ...extensions,
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

export async function issueServerCertificate(ca: PemPair, options: ServerCertificateOptions): Promise<PemPair> {
  if (options.ipAddresses.length === 0) throw new Error('a server certificate needs at least one IP address');
  for (const ip of options.ipAddresses) if (isIP(ip) === 0) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
  const names: x509.JsonGeneralName[] = [
    ...options.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
  ];
  return issue(ca, dn(options.commonName), options, [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(names),
  ]);
}

export async function issueClientCertificate(ca: PemPair, options: ClientCertificateOptions): Promise<PemPair> {
  return issue(ca, dn(options.commonName), options, [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])]);
}
