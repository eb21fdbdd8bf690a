// Only the controller gets in: the agent completes requests for a clientAuth certificate from
// its CA, and refuses no certificate, a certificate from another CA, and an agent's own
// serverAuth certificate. The controller's client names the amphora and the likely cause for
// each transport failure, and the agent refuses to start with a certificate not made for it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { AgentClient, AgentUnavailable } from '../../src/amphora/agent-client.ts';
import { createCertificateAuthority, issueClientCertificate, type PemPair } from '../../src/pki/certificate-authority.ts';
import { AgentProcess, Cleanup, freePort, makePki, type Pki } from './agent-harness.ts';

const cleanup = new Cleanup();
let dir: string;
let pki: Pki;
let agent: AgentProcess;
let other: PemPair;

before(async () => {
  dir = cleanup.tempDir('fulcrum-agent-mtls-');
  pki = await makePki(dir);
  agent = await AgentProcess.start(cleanup, `${dir}/amphorae`, pki);
  other = await createCertificateAuthority({ commonName: 'another CA' });
});

after(() => cleanup.run());

/** A raw undici GET with whatever client credentials (or none) the test gives it. */
async function rawGet(connect: { ca: string; cert?: string; key?: string }): Promise<number> {
  const dispatcher = new Agent({ connect });
  try {
    const res = await request(`${agent.url}/1.0/info`, { dispatcher });
    await res.body.text();
    return res.statusCode;
  } finally {
    await dispatcher.close();
  }
}

function client(tls: { ca: string; cert: string; key: string }, url = agent.url): AgentClient {
  const c = new AgentClient({ url, tls, connectTimeoutMs: 2_000 });
  cleanup.clients.add(c);
  return c;
}

test('the controller certificate is accepted', async () => {
  assert.equal(await rawGet({ ca: pki.ca.certPem, cert: pki.controller.certPem, key: pki.controller.keyPem }), 200);
  const info = await client({ ca: pki.ca.certPem, cert: pki.controller.certPem, key: pki.controller.keyPem }).info();
  assert.match(info.haproxy_version, /^2\.6\./);
});

test('no client certificate, another CA, or a serverAuth certificate: refused', async () => {
  await assert.rejects(rawGet({ ca: pki.ca.certPem }), (err: Error & { code?: string }) => {
    assert.match(String(err.code), /UND_ERR_SOCKET|ECONNRESET|ERR_SSL/);
    return true;
  });
  const stranger = await issueClientCertificate(other, { commonName: 'stranger' });
  await assert.rejects(rawGet({ ca: pki.ca.certPem, cert: stranger.certPem, key: stranger.keyPem }));
  await assert.rejects(rawGet({ ca: pki.ca.certPem, cert: pki.agent.certPem, key: pki.agent.keyPem }), 'an agent certificate cannot call an agent');

  // The client trusts both CAs (as during a CA rotation) but holds a certificate the agent does not.
  const refused = await client({ ca: pki.ca.certPem + other.certPem, cert: stranger.certPem, key: stranger.keyPem })
    .registerAmphora('amp-x')
    .catch((e: unknown) => e);
  assert.ok(refused instanceof AgentUnavailable, String(refused));
  assert.match(refused.message, /^amphora amp-x refused our certificate or dropped the connection at https:\/\/127\.0\.0\.1:\d+/);
  assert.equal(refused.status, 503);
});

test('the client reports an untrusted agent certificate and an unreachable agent', async () => {
  const wrongCa = await issueClientCertificate(other, { commonName: 'controller-of-another-cloud' });
  const untrusted = await client({ ca: other.certPem, cert: wrongCa.certPem, key: wrongCa.keyPem }).amphoraStatus('amp-y').catch((e: unknown) => e);
  assert.ok(untrusted instanceof AgentUnavailable, String(untrusted));
  assert.match(untrusted.message, /^amphora amp-y presented a certificate we do not trust \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/);

  const closed = await freePort();
  const unreachable = await client({ ca: pki.ca.certPem, cert: pki.controller.certPem, key: pki.controller.keyPem }, `https://127.0.0.1:${closed}`)
    .stats('amp-z')
    .catch((e: unknown) => e);
  assert.ok(unreachable instanceof AgentUnavailable, String(unreachable));
  assert.match(unreachable.message, new RegExp(`^amphora amp-z is unreachable at https://127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED`));

  assert.throws(() => new AgentClient({ url: agent.url, tls: { ca: pki.ca.certPem, cert: pki.agent.certPem, key: pki.agent.keyPem } }), /not issued for clientAuth/);
});

test('the agent refuses to start with a certificate that is not a server certificate for its key', async () => {
  const clientCertPath = `${dir}/controller.pem`;
  writeFileSync(clientCertPath, pki.controller.certPem);
  const failed = await AgentProcess.startFailing(cleanup, `${dir}/other-amphorae`, pki, clientCertPath);
  assert.equal(failed.code, 1);
  assert.match(failed.output, /fulcrum: certificate CN=test-controller: not issued for serverAuth/);
});
