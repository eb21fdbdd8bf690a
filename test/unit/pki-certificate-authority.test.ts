// The CA's output read back with node:crypto only: what it signs, for what purpose, for which
// address, for how long, and that every mismatch is refused with a sentence saying why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate } from '../../src/pki/certificate-authority.ts';
import { CLIENT_AUTH, SERVER_AUTH, summarizeCertificate, verifyCertificate } from '../../src/pki/verify.ts';

const YEAR_MS = 365 * 86_400_000;

test('the CA is a long-lived, self-signed ECDSA P-256 certificate authority', async () => {
  const ca = await createCertificateAuthority({ commonName: 'test CA' });
  const cert = new X509Certificate(ca.certPem);
  assert.equal(cert.ca, true);
  assert.equal(cert.subject, 'CN=test CA');
  assert.equal(cert.issuer, 'CN=test CA');
  assert.ok(cert.verify(cert.publicKey), 'self-signed');
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(cert.checkPrivateKey(createPrivateKey(ca.keyPem)));
  const lifetime = new Date(cert.validTo).getTime() - Date.now();
  assert.ok(lifetime > 9 * YEAR_MS, `CA lifetime ${lifetime} ms`);
});

test('an agent server certificate: signed by the CA, serverAuth only, with its IP SANs', async () => {
  const ca = await createCertificateAuthority();
  const server = await issueServerCertificate(ca, { commonName: 'amphora-agent-1', ipAddresses: ['127.0.0.1', '10.0.0.5', 'fd00::5'] });
  const summary = verifyCertificate(server.certPem, ca.certPem, { purpose: SERVER_AUTH, ip: '10.0.0.5', keyPem: server.keyPem });
  assert.equal(summary.subject, 'CN=amphora-agent-1');
  assert.equal(summary.ca, false);
  assert.deepEqual(summary.extendedKeyUsage, [SERVER_AUTH]);
  assert.deepEqual(summary.subjectAltNames, ['IP Address:127.0.0.1', 'IP Address:10.0.0.5', 'IP Address:FD00:0:0:0:0:0:0:5']);
  assert.throws(() => verifyCertificate(server.certPem, ca.certPem, { ip: '10.0.0.6' }), /has no IP SAN 10\.0\.0\.6/);
  assert.throws(() => verifyCertificate(server.certPem, ca.certPem, { purpose: CLIENT_AUTH }), /not issued for clientAuth/);
  await assert.rejects(issueServerCertificate(ca, { commonName: 'x', ipAddresses: [] }), /at least one IP address/);
  await assert.rejects(issueServerCertificate(ca, { commonName: 'x', ipAddresses: ['agent.example'] }), /not an IP address/);
});

test('a controller client certificate: clientAuth only, one year by default', async () => {
  const ca = await createCertificateAuthority();
  const client = await issueClientCertificate(ca, { commonName: 'fulcrum-controller' });
  const summary = verifyCertificate(client.certPem, ca.certPem, { purpose: CLIENT_AUTH, keyPem: client.keyPem });
  assert.deepEqual(summary.extendedKeyUsage, [CLIENT_AUTH]);
  assert.deepEqual(summary.subjectAltNames, []);
  const lifetime = summary.notAfter.getTime() - Date.now();
  assert.ok(lifetime > 0.99 * YEAR_MS && lifetime < 1.01 * YEAR_MS, `lifetime ${lifetime} ms`);
  assert.throws(() => verifyCertificate(client.certPem, ca.certPem, { purpose: SERVER_AUTH }), /not issued for serverAuth/);
});

test('verification refuses another CA, a leaf as issuer, expiry, and the wrong key', async () => {
  const ca = await createCertificateAuthority();
  const other = await createCertificateAuthority({ commonName: 'other CA' });
  const client = await issueClientCertificate(ca, { commonName: 'c1' });
  const stranger = await issueClientCertificate(other, { commonName: 'c2' });
  assert.throws(() => verifyCertificate(stranger.certPem, ca.certPem), /certificate CN=c2: not signed by CN=Fulcrum controller CA/);
  assert.throws(() => verifyCertificate(client.certPem, client.certPem), /is not a CA certificate/);
  assert.throws(() => verifyCertificate(client.certPem, 'nothing'), /contains no PEM certificate/);
  assert.doesNotThrow(() => verifyCertificate(stranger.certPem, ca.certPem + other.certPem), 'a bundle trusts every CA in it');
  assert.throws(() => verifyCertificate(client.certPem, ca.certPem, { keyPem: stranger.keyPem }), /does not match the private key/);

  const old = await issueClientCertificate(ca, { commonName: 'old', validityDays: 1, now: new Date(Date.now() - 2 * 86_400_000) });
  assert.throws(() => verifyCertificate(old.certPem, ca.certPem), /certificate CN=old: expired at /);
  assert.doesNotThrow(() => verifyCertificate(old.certPem, ca.certPem, { at: new Date(Date.now() - 1.5 * 86_400_000) }));
  const future = await issueClientCertificate(ca, { commonName: 'future', now: new Date(Date.now() + 86_400_000) });
  assert.throws(() => verifyCertificate(future.certPem, ca.certPem), /not valid before/);
});

test('issuing works from the PEM text alone, and serials differ', async () => {
  const ca = await createCertificateAuthority();
  const reloaded = { certPem: String(ca.certPem), keyPem: String(ca.keyPem) };
  const a = await issueClientCertificate(reloaded, { commonName: 'a' });
  const b = await issueClientCertificate(reloaded, { commonName: 'a' });
  assert.notEqual(summarizeCertificate(a.certPem).serialNumber, summarizeCertificate(b.certPem).serialNumber);
  assert.match(a.keyPem, /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n$/);
  await assert.rejects(issueClientCertificate(reloaded, { commonName: 'bad\nname' }), /unsupported common name/);
});
