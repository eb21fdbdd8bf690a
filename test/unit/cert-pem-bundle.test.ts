// Parsing what users upload to the certificate store: PEM certificate + chain + key (the key
// must match; encrypted keys need their passphrase), PKCS#12 (EC and RSA), CA bundles and CRLs
// (and whether a CRL is signed by a CA), the PEM files HAProxy gets, and reference forms.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crlSignedBy, parseCaBundle, parseCrl, parseServerBundle, payloadPem } from '../../src/certs/pem-bundle.ts';
import { pkcs12ToPem } from '../../src/certs/pkcs12.ts';
import { certificateIdFromRef, certificateRef } from '../../src/certs/container-ref.ts';
import { clientCert, makeCa, makeCrl, serverCert, toPkcs12, type PemPair } from '../helpers/tls-pki.ts';

let ca: PemPair;
let other: PemPair;
let leaf: PemPair;
let client: PemPair;

before(async () => {
  [ca, other] = await Promise.all([makeCa('Unit CA'), makeCa('Other CA')]);
  [leaf, client] = await Promise.all([serverCert(ca, 'a.example'), clientCert(ca, 'alice')]);
});

describe('PEM certificate bundles', () => {
  test('leaf, chain and key: the leaf is the certificate the key matches, wherever it is', () => {
    const parsed = parseServerBundle({ certificate: ca.certPem + leaf.certPem, private_key: leaf.keyPem });
    assert.equal(parsed.payload.type, 'certificate');
    if (parsed.payload.type !== 'certificate') return;
    assert.equal(new X509Certificate(parsed.payload.certificate).subject, 'CN=a.example');
    assert.equal(parsed.payload.intermediates.length, 1);
    assert.equal(parsed.meta.subject, 'CN=a.example');
    assert.equal(parsed.meta.issuer, 'CN=Unit CA');
    assert.deepEqual(parsed.meta.subjectAltNames, ['IP:127.0.0.1', 'DNS:a.example']);
    assert.ok(parsed.meta.expiresAt! <= new Date(new X509Certificate(ca.certPem).validTo), 'expiry is the earliest of the chain');
    const file = payloadPem(parsed.payload);
    assert.deepEqual([...file.matchAll(/-----BEGIN ([A-Z ]+)-----/g)].map((m) => m[1]), ['CERTIFICATE', 'CERTIFICATE', 'PRIVATE KEY'], 'HAProxy order: leaf, chain, key');
    assert.ok(new X509Certificate(file).checkPrivateKey(createPrivateKey(file)));
  });

  test('a key of another certificate, a missing or garbled certificate: 400 with a reason', () => {
    assert.throws(() => parseServerBundle({ certificate: leaf.certPem, private_key: client.keyPem }), /private key does not match/);
    assert.throws(() => parseServerBundle({ certificate: 'nothing', private_key: leaf.keyPem }), /not a PEM x509 certificate/);
    const garbled = leaf.certPem.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
    assert.throws(() => parseServerBundle({ certificate: garbled, private_key: leaf.keyPem }), /not a valid PEM x509 certificate|does not match/);
    assert.throws(() => parseServerBundle({ certificate: leaf.certPem, private_key: leaf.certPem }), /exactly one PEM private key/);
  });

  test('an encrypted key needs its passphrase and is stored decrypted', () => {
    const encrypted = createPrivateKey(leaf.keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();
    assert.match(encrypted, /ENCRYPTED PRIVATE KEY/);
    assert.throws(() => parseServerBundle({ certificate: leaf.certPem, private_key: encrypted }), /encrypted: give its passphrase/);
    assert.throws(() => parseServerBundle({ certificate: leaf.certPem, private_key: encrypted, passphrase: 'nope' }), /cannot be read with that passphrase/);
    const parsed = parseServerBundle({ certificate: leaf.certPem, private_key: encrypted, passphrase: 'pw' });
    assert.match(payloadPem(parsed.payload), /-----BEGIN PRIVATE KEY-----/);
  });
});

describe('PKCS#12', () => {
  test('an EC bundle from OpenSSL 3 (AES, PBKDF2) with its chain', () => {
    const parsed = parseServerBundle(pkcs12ToPem(toPkcs12(leaf, 'secret', [ca.certPem]), 'secret'));
    assert.equal(parsed.meta.subject, 'CN=a.example');
    assert.equal(parsed.payload.type === 'certificate' && parsed.payload.intermediates.length, 1);
  });

  test('an RSA bundle without a passphrase', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fulcrum-rsa-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', '/CN=rsa.example', '-days', '2'], { stdio: 'ignore' });
      const pair = { certPem: readFileSync(join(dir, 'c.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'k.pem'), 'utf8') };
      const parsed = parseServerBundle(pkcs12ToPem(toPkcs12(pair, '')));
      assert.equal(parsed.meta.subject, 'CN=rsa.example');
      assert.equal(createPrivateKey(payloadPem(parsed.payload)).asymmetricKeyType, 'rsa');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a wrong passphrase or no PKCS#12 at all is unreadable (400)', () => {
    assert.throws(() => pkcs12ToPem(toPkcs12(leaf, 'secret'), 'wrong'), /^.*The PKCS12 bundle is unreadable.*MAC could not be verified/);
    assert.throws(() => pkcs12ToPem(Buffer.from('hello').toString('base64')), /The PKCS12 bundle is unreadable/);
  });
});

describe('CA bundles and CRLs', () => {
  test('a CA bundle holds certificates only', () => {
    const parsed = parseCaBundle(ca.certPem + other.certPem);
    assert.equal(parsed.payload.type === 'ca' && parsed.payload.certificates.length, 2);
    assert.throws(() => parseCaBundle(ca.certPem + ca.keyPem), /must not contain a private key/);
    assert.throws(() => parseCaBundle('x'), /not a PEM x509 certificate/);
  });

  test('a CRL is read under either label, stored as "X509 CRL", and checked against its CA', async () => {
    const crl = await makeCrl(ca, [client.certPem]);
    const shortLabel = crl.replace(/X509 CRL/g, 'CRL');
    const parsed = parseCrl(shortLabel);
    assert.equal(parsed.meta.issuer, 'CN=Unit CA');
    assert.ok(parsed.meta.expiresAt! > new Date());
    assert.match(payloadPem(parsed.payload), /^-----BEGIN X509 CRL-----\n[\s\S]*-----END X509 CRL-----\n$/);
    assert.equal(await crlSignedBy(crl, [other.certPem, ca.certPem]), true);
    assert.equal(await crlSignedBy(crl, [other.certPem]), false);
    assert.equal(await crlSignedBy(await makeCrl(other, []), [ca.certPem]), false);
    assert.throws(() => parseCrl(ca.certPem), /revocation list is invalid/);
  });
});

describe('container references', () => {
  const id = '0b7c4c0e-1d2e-4f1a-9f0a-1b2c3d4e5f60';
  test('every accepted form names the certificate id', () => {
    for (const ref of [
      id,
      id.toUpperCase(),
      `https://lb.example:9876/v2/fulcrum/certificates/${id}`,
      `http://127.0.0.1:9876/load-balancer/v2.0/fulcrum/certificates/${id}`,
      `https://key-manager.example/v1/containers/${id}`,
      `https://key-manager.example:9311/v1/secrets/${id}/`,
      `/v2/fulcrum/certificates/${id}`,
    ]) {
      assert.equal(certificateIdFromRef(ref), id, ref);
    }
    assert.equal(certificateIdFromRef(certificateRef('https://lb.example/', id)), id);
  });

  test('anything else names nothing', () => {
    for (const ref of ['ref-1', `https://x.example/v1/orders/${id}`, `https://x.example/v1/containers/${id}/consumers`, `${id}x`, `https://x.example/v1/containers/not-a-uuid`]) {
      assert.equal(certificateIdFromRef(ref), null, ref);
    }
  });
});
