// When a joined host's agent certificate is renewed (the last share of its lifetime), and when a
// renewal still failing is urgent enough for an event. Pure, apart from issuing one certificate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lifetimeShareMs, renewalDueByLifetime, renewalUrgent } from '../../src/pki/renewal-window.ts';
import { createCertificateAuthority, issueServerCertificate } from '../../src/pki/certificate-authority.ts';
import { summarizeCertificate } from '../../src/pki/verify.ts';

const DAY = 86_400_000;
const t0 = new Date('2027-03-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const year = { notBefore: t0, notAfter: at(90 * DAY) };

test('a 90-day certificate is renewed in its last third: not at day 59, at day 61, and once expired', () => {
  assert.equal(lifetimeShareMs(year, 1 / 3), 30 * DAY);
  assert.equal(renewalDueByLifetime(year, at(59 * DAY), 1 / 3), false);
  assert.equal(renewalDueByLifetime(year, at(61 * DAY), 1 / 3), true);
  assert.equal(renewalDueByLifetime(year, at(91 * DAY), 1 / 3), true);
  assert.equal(renewalDueByLifetime(year, t0, 1 / 3), false, 'a fresh certificate is kept');
});

test('the window scales with the lifetime: a 30-second certificate renewed in its last half', () => {
  const short = { notBefore: t0, notAfter: at(30_000) };
  assert.equal(renewalDueByLifetime(short, at(14_000), 0.5), false);
  assert.equal(renewalDueByLifetime(short, at(16_000), 0.5), true);
});

test('a failing renewal is urgent in the last quarter of the window only', () => {
  // Window: the last 30 days; urgent in its last 7.5.
  assert.equal(renewalUrgent(year, at(61 * DAY), 1 / 3), false);
  assert.equal(renewalUrgent(year, at(82 * DAY), 1 / 3), false);
  assert.equal(renewalUrgent(year, at(83 * DAY), 1 / 3), true);
});

test('a certificate with a lifetime of seconds is backdated by a tenth of it at most, so it is not due when issued', async () => {
  const ca = await createCertificateAuthority();
  const issued = await issueServerCertificate(ca, { commonName: 'short', ipAddresses: ['127.0.0.1'], validitySeconds: 30 });
  const s = summarizeCertificate(issued.certPem);
  const lifetime = s.notAfter.getTime() - s.notBefore.getTime();
  assert.ok(lifetime <= 33_000 + 1000 && lifetime >= 30_000, `lifetime ${lifetime} ms`);
  assert.equal(renewalDueByLifetime(s, new Date(), 0.5), false);
  // A yearly one keeps the full five minutes of backdating for clocks that lag.
  const yearly = summarizeCertificate((await issueServerCertificate(ca, { commonName: 'yearly', ipAddresses: ['127.0.0.1'] })).certPem);
  assert.ok(Date.now() - yearly.notBefore.getTime() >= 299_000);
});
