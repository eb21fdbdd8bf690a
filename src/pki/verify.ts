// Checks a certificate with node:crypto alone, the same library that will do the TLS
// handshake, so a certificate accepted here is one OpenSSL accepts. Used at start-up by the
// agent and the controller client to fail with a sentence instead of a handshake error later.
import { X509Certificate, createPrivateKey } from 'node:crypto';

export const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export interface CertificateSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
  /** Extended key usage OIDs; empty when the extension is absent. */
  extendedKeyUsage: string[];
  /** Subject alternative names as node prints them, e.g. `IP Address:127.0.0.1`. */
  subjectAltNames: string[];
  fingerprint256: string;
}

export function summarizeCertificate(certPem: string): CertificateSummary {
  const cert = new X509Certificate(certPem);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    ca: cert.ca,
    extendedKeyUsage: cert.keyUsage ?? [],
    subjectAltNames: cert.subjectAltName ? cert.subjectAltName.split(', ') : [],
    fingerprint256: cert.fingerprint256,
  };
}

export interface VerifyOptions {
  /** The extended key usage the certificate must carry (SERVER_AUTH or CLIENT_AUTH). */
  purpose?: string;
  /** An address that must be among the IP SANs. */
  ip?: string;
  /** The private key that must belong to the certificate. */
  keyPem?: string;
  at?: Date;
}

/** The certificates in a PEM bundle (while a CA is rotated, both CAs are trusted). */
export function splitPemBundle(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map((block) => new X509Certificate(block));
}

/**
 * Throws an Error saying what is wrong when `certPem` was not signed by a CA in `caPem`, is
 * outside its validity period, lacks the purpose or address, or does not match the key.
 * Returns the summary.
 */
export function verifyCertificate(certPem: string, caPem: string, options: VerifyOptions = {}): CertificateSummary {
  const cert = new X509Certificate(certPem);
  const summary = summarizeCertificate(certPem);
  const problem = (text: string) => new Error(`certificate ${summary.subject}: ${text}`);
  const cas = splitPemBundle(caPem);
  if (cas.length === 0) throw problem('the CA given contains no PEM certificate');
  const notCa = cas.find((ca) => !ca.ca);
  if (notCa) throw problem(`the issuer given (${notCa.subject}) is not a CA certificate`);
  if (!cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) throw problem(`not signed by ${cas.map((ca) => ca.subject).join(' or ')}`);
  const at = options.at ?? new Date();
  if (at < summary.notBefore) throw problem(`not valid before ${summary.notBefore.toISOString()}`);
  if (at > summary.notAfter) throw problem(`expired at ${summary.notAfter.toISOString()}`);
  if (options.purpose && !summary.extendedKeyUsage.includes(options.purpose)) {
    throw problem(`not issued for ${options.purpose === SERVER_AUTH ? 'serverAuth' : options.purpose === CLIENT_AUTH ? 'clientAuth' : options.purpose}`);
  }
  if (options.ip && cert.checkIP(options.ip) === undefined) throw problem(`has no IP SAN ${options.ip}`);
  if (options.keyPem && !cert.checkPrivateKey(createPrivateKey(options.keyPem))) throw problem('does not match the private key given');
  return summary;
}
