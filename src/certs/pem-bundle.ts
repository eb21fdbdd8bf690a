// What a stored certificate holds, parsed and checked from uploaded PEM text: a server or
// client certificate with its chain and the matching private key, a CA bundle, or a CRL.
// Pure apart from the signature check of a CRL (WebCrypto is async).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { ValidationFailure } from '../errors.ts';

export type CertificateType = 'certificate' | 'ca' | 'crl';

/** Public facts about the stored object, kept in clear for listing. */
export interface CertificateMeta {
  subject: string | null;
  issuer: string | null;
  subjectAltNames: string[];
  fingerprintSha256: string | null;
  notBefore: Date | null;
  /** A certificate's notAfter (the earliest in a bundle); a CRL's nextUpdate. */
  expiresAt: Date | null;
}

/** What is sealed in the store, by type. */
export type CertificatePayload =
  | { type: 'certificate'; certificate: string; intermediates: string[]; private_key: string }
  | { type: 'ca'; certificates: string[] }
  | { type: 'crl'; crl: string };

export interface ParsedCertificate {
  payload: CertificatePayload;
  meta: CertificateMeta;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;
/** The labels PEM private keys come under; any of them in a CA bundle or CRL is refused. */
const KEY_LABEL = /PRIVATE KEY$/;

export function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(BLOCK)].map((m) => ({ label: m[1], pem: `${m[0].replace(/\r\n/g, '\n')}\n` }));
}

function certificatesIn(text: string, what: string): X509Certificate[] {
  const blocks = pemBlocks(text);
  if (blocks.some((b) => KEY_LABEL.test(b.label))) throw new ValidationFailure(`The ${what} must not contain a private key.`);
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  if (certs.length === 0) throw new ValidationFailure(`The ${what} is not a PEM x509 certificate.`);
  return certs.map((b) => {
    try {
      return new X509Certificate(b.pem);
    } catch {
      throw new ValidationFailure(`The ${what} is not a valid PEM x509 certificate.`);
    }
  });
}

/** "CN=a\nO=b" → "CN=a, O=b". */
function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}

/** `DNS:a.example, IP Address:127.0.0.1` → ['DNS:a.example', 'IP:127.0.0.1']. */
function altNames(cert: X509Certificate): string[] {
  if (!cert.subjectAltName) return [];
  return cert.subjectAltName.split(/,\s*/).map((n) => n.replace(/^IP Address:/, 'IP:'));
}

function certMeta(leaf: X509Certificate, all: X509Certificate[]): CertificateMeta {
  return {
    subject: oneLine(leaf.subject),
    issuer: oneLine(leaf.issuer),
    subjectAltNames: altNames(leaf),
    fingerprintSha256: leaf.fingerprint256,
    notBefore: new Date(leaf.validFrom),
    expiresAt: new Date(Math.min(...all.map((c) => new Date(c.validTo).getTime()))),
  };
}

function privateKey(pem: string, passphrase: string | undefined): KeyObject {
  const blocks = pemBlocks(pem).filter((b) => KEY_LABEL.test(b.label));
  if (blocks.length !== 1) throw new ValidationFailure('private_key must hold exactly one PEM private key.');
  const encrypted = blocks[0].label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type: 4,ENCRYPTED/.test(blocks[0].pem);
  // Without a passphrase OpenSSL reports an encrypted key only as "interrupted or cancelled".
  if (encrypted && passphrase === undefined) throw new ValidationFailure('The private key is encrypted: give its passphrase.');
  try {
    return createPrivateKey({ key: blocks[0].pem, format: 'pem', ...(passphrase !== undefined ? { passphrase } : {}) });
  } catch {
    throw new ValidationFailure(passphrase !== undefined ? 'The private key cannot be read with that passphrase.' : 'The private key is not a valid PEM private key.');
  }
}

export interface ServerBundleInput {
  /** The certificate, optionally followed by its chain. */
  certificate: string;
  private_key: string;
  intermediates?: string;
  /** For an encrypted private key. */
  passphrase?: string;
}

/**
 * A certificate with its chain and key. The leaf is the certificate the key belongs to
 * (wherever it is in the text); the key is stored unencrypted as PKCS#8, since HAProxy reads
 * it without a passphrase.
 */
export function parseServerBundle(input: ServerBundleInput): ParsedCertificate {
  const given = [...certificatesIn(input.certificate, 'certificate'), ...(input.intermediates ? certificatesIn(input.intermediates, 'intermediates bundle') : [])];
  const key = privateKey(input.private_key, input.passphrase);
  if (key.asymmetricKeyType === undefined) throw new ValidationFailure('private_key is not an asymmetric key.');
  const leaf = given.find((c) => c.checkPrivateKey(key));
  if (!leaf) throw new ValidationFailure('The private key does not match the certificate.');
  const chain = given.filter((c) => c !== leaf);
  return {
    payload: {
      type: 'certificate',
      certificate: leaf.toString(),
      intermediates: chain.map((c) => c.toString()),
      private_key: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    },
    meta: certMeta(leaf, [leaf, ...chain]),
  };
}

/** One or more CA certificates (what clients or members are verified against). */
export function parseCaBundle(text: string): ParsedCertificate {
  const certs = certificatesIn(text, 'CA certificate');
  return { payload: { type: 'ca', certificates: certs.map((c) => c.toString()) }, meta: certMeta(certs[0], certs) };
}

function readCrl(text: string): { pem: string; crl: x509.X509Crl } {
  const blocks = pemBlocks(text);
  if (blocks.some((b) => KEY_LABEL.test(b.label))) throw new ValidationFailure('The certificate revocation list must not contain a private key.');
  const crls = blocks.filter((b) => b.label === 'X509 CRL' || b.label === 'CRL');
  if (crls.length !== 1) {
    throw new ValidationFailure('The certificate revocation list is invalid. It must be a valid x509 PEM format certificate revocation list.');
  }
  try {
    const crl = new x509.X509Crl(crls[0].pem);
    // OpenSSL (and so HAProxy) reads only the "X509 CRL" label.
    return { pem: crls[0].pem.replace(/-----(BEGIN|END) (X509 )?CRL-----/g, '-----$1 X509 CRL-----'), crl };
  } catch {
    throw new ValidationFailure('The certificate revocation list is invalid. It must be a valid x509 PEM format certificate revocation list.');
  }
}

export function parseCrl(text: string): ParsedCertificate {
  const { pem, crl } = readCrl(text);
  return {
    payload: { type: 'crl', crl: pem },
    meta: {
      subject: null,
      issuer: crl.issuer,
      subjectAltNames: [],
      fingerprintSha256: null,
      notBefore: crl.thisUpdate,
      expiresAt: crl.nextUpdate ?? null,
    },
  };
}

/** Whether one of `caPems` signed the CRL (HAProxy rejects a CRL its CA file did not sign). */
export async function crlSignedBy(crlPem: string, caPems: string[]): Promise<boolean> {
  const { crl } = readCrl(crlPem);
  for (const pem of caPems) {
    const ca = new x509.X509Certificate(pem);
    if (ca.subject !== crl.issuer) continue;
    if (await crl.verify({ publicKey: ca.publicKey }).catch(() => false)) return true;
  }
  return false;
}

/** The PEM file HAProxy reads for a stored object. */
export function payloadPem(payload: CertificatePayload): string {
  switch (payload.type) {
    case 'certificate':
      return [payload.certificate, ...payload.intermediates, payload.private_key].map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
    case 'ca':
      return payload.certificates.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
    case 'crl':
      return payload.crl.endsWith('\n') ? payload.crl : `${payload.crl}\n`;
  }
}
