// PEM text in and out, and the WebCrypto keys behind it. Keys are PKCS#8 ("PRIVATE KEY"),
// which both WebCrypto and node:tls read, so a key written here is usable as-is by the agent.
import { webcrypto } from 'node:crypto';

const EC_KEY: EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' };

export function toPem(label: string, der: ArrayBuffer | Uint8Array): string {
  const base64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString('base64');
  return `-----BEGIN ${label}-----\n${base64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

export function fromPem(pem: string, label: string): Buffer {
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  if (!match) throw new Error(`not a PEM ${label}`);
  return Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
}

export function generateKeyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  return toPem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', key));
}

/** A CA's key, read back for signing. Only P-256 keys are accepted: it is all this CA issues. */
export function importSigningKey(keyPem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', fromPem(keyPem, 'PRIVATE KEY'), EC_KEY, false, ['sign']);
}
