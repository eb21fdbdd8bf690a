// Test PKI for TLS listeners: CAs, server certificates per host name, client certificates,
// CRLs revoking some of them, and PKCS#12 bundles (made with the openssl CLI, as users do).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
  type PemPair,
} from '../../src/pki/certificate-authority.ts';
import { importSigningKey } from '../../src/pki/pem.ts';

export type { PemPair };

export function makeCa(commonName: string): Promise<PemPair> {
  return createCertificateAuthority({ commonName });
}

/** A serverAuth certificate for `dnsName` (and 127.0.0.1). */
export function serverCert(ca: PemPair, dnsName: string): Promise<PemPair> {
  return issueServerCertificate(ca, { commonName: dnsName, dnsNames: [dnsName], ipAddresses: ['127.0.0.1'] });
}

export function clientCert(ca: PemPair, commonName: string): Promise<PemPair> {
  return issueClientCertificate(ca, { commonName });
}

/** A CRL signed by `ca` revoking `revoked`, valid for a day. */
export async function makeCrl(ca: PemPair, revoked: string[]): Promise<string> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const now = Date.now();
  const crl = await x509.X509CrlGenerator.create({
    issuer: caCert.subject,
    thisUpdate: new Date(now - 60_000),
    nextUpdate: new Date(now + 86_400_000),
    entries: revoked.map((pem) => ({ serialNumber: new x509.X509Certificate(pem).serialNumber, revocationDate: new Date(now - 60_000) })),
    signingKey: await importSigningKey(ca.keyPem),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  });
  // The label OpenSSL writes and reads (@peculiar/x509 writes "CRL").
  return `${crl.toString('pem').replace(/-----(BEGIN|END) CRL-----/g, '-----$1 X509 CRL-----')}\n`;
}

/** Base64 PKCS#12 of the pair (OpenSSL 3 defaults: AES-256-CBC, PBKDF2, SHA-256 MAC). */
export function toPkcs12(pair: PemPair, passphrase: string, extraCerts: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-p12-'));
  try {
    writeFileSync(join(dir, 'cert.pem'), pair.certPem + extraCerts.join(''));
    writeFileSync(join(dir, 'key.pem'), pair.keyPem, { mode: 0o600 });
    execFileSync('openssl', ['pkcs12', '-export', '-in', join(dir, 'cert.pem'), '-inkey', join(dir, 'key.pem'), '-out', join(dir, 'b.p12'), '-passout', `pass:${passphrase}`]);
    return readFileSync(join(dir, 'b.p12')).toString('base64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
