// PKCS#12 (.p12/.pfx) → PEM, so an uploaded bundle is stored and checked like PEM input.
// node-forge decodes the container (node:crypto cannot); forge only models RSA keys and
// certificates, so anything else is taken from the decoded ASN.1 as DER.
import forge from 'node-forge';
import { UnreadablePkcs12 } from '../errors.ts';
import type { ServerBundleInput } from './pem-bundle.ts';

function pem(label: string, asn1: forge.asn1.Asn1): string {
  const base64 = Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary').toString('base64');
  return `-----BEGIN ${label}-----\n${base64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

type Bag = { cert?: forge.pki.Certificate | null; key?: forge.pki.PrivateKey | null; asn1?: forge.asn1.Asn1 };

function bags(p12: forge.pkcs12.Pkcs12Pfx, type: string): Bag[] {
  return (p12.getBags({ bagType: type })[type] ?? []) as Bag[];
}

/**
 * The certificates and the private key of a base64 PKCS#12 bundle, in the shape PEM uploads
 * have (the key as unencrypted PKCS#8); which certificate is the leaf is decided by the key.
 */
export function pkcs12ToPem(base64: string, passphrase = ''): ServerBundleInput {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const der = Buffer.from(base64.replace(/\s+/g, ''), 'base64');
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary'))), false, passphrase);
  } catch (err) {
    throw new UnreadablePkcs12((err as Error).message);
  }
  const certs = bags(p12, forge.pki.oids.certBag).map((b) =>
    b.cert ? pem('CERTIFICATE', forge.pki.certificateToAsn1(b.cert)) : pem('CERTIFICATE', b.asn1!),
  );
  const keys = [...bags(p12, forge.pki.oids.pkcs8ShroudedKeyBag), ...bags(p12, forge.pki.oids.keyBag)].map((b) =>
    b.key ? pem('PRIVATE KEY', forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(b.key as forge.pki.rsa.PrivateKey))) : pem('PRIVATE KEY', b.asn1!),
  );
  if (certs.length === 0) throw new UnreadablePkcs12('it holds no certificate');
  if (keys.length !== 1) throw new UnreadablePkcs12(keys.length === 0 ? 'it holds no private key' : 'it holds more than one private key');
  return { certificate: certs.join(''), private_key: keys[0] };
}
