// An agent's certificate renewed by signing request: the agent makes the new key and keeps it,
// the controller signs what the agent asked for, and the agent serves the result without a
// restart. A certificate for another key, another subject or from another CA is refused and
// the current one stays in use; an install cut short by a crash is completed or undone at start.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentRequestFailed, type AgentClient } from '../../src/amphora/agent-client.ts';
import { createCertificateAuthority, issueServerCertificate, signServerCsr } from '../../src/pki/certificate-authority.ts';
import { servedSerial } from '../../src/compute/agent-cert-renewal.ts';
import { recoverInterruptedInstall } from '../../src/agent/certificate-renewal.ts';
import { Cleanup, controllerClient, startTestAgent, type AgentProcess, type Pki } from './agent-harness.ts';

const cleanup = new Cleanup();
let pki: Pki;
let agent: AgentProcess;
let client: AgentClient;
let port: number;

before(async () => {
  ({ pki, agent, client } = await startTestAgent(cleanup, 'csr'));
  port = Number(new URL(agent.url).port);
});

after(() => cleanup.run());

async function refusal(p: Promise<unknown>): Promise<AgentRequestFailed> {
  const err = await p.then(
    () => assert.fail('the agent took it'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AgentRequestFailed, String(err));
  return err;
}

const files = () => ({ cert: readFileSync(pki.agentCertPath, 'utf8'), key: readFileSync(pki.agentKeyPath, 'utf8') });

test('a certificate with no signing request pending is refused', async () => {
  const err = await refusal(client.installCertificate(pki.agent.certPem));
  assert.equal(err.agentStatus, 409);
  assert.equal(err.agentCode, 'LB_ERR_AGENT_NO_PENDING_KEY');
});

test('a certificate that does not match the pending key is refused, and the current one stays in use', async () => {
  const before = files();
  const served = await servedSerial('127.0.0.1', port, pki.ca.certPem);
  assert.equal(served, new X509Certificate(pki.agent.certPem).serialNumber);
  const csr = await client.certificateRequest();
  assert.match(csr, /BEGIN CERTIFICATE REQUEST/);
  assert.doesNotMatch(csr, /PRIVATE KEY/);

  // Signed by the right CA for the right name, but for a key the agent never made.
  const otherKey = await issueServerCertificate(pki.ca, { commonName: 'test-agent', ipAddresses: ['127.0.0.1'] });
  let err = await refusal(client.installCertificate(otherKey.certPem));
  assert.equal(err.agentStatus, 400);
  assert.equal(err.agentCode, 'LB_ERR_AGENT_CERTIFICATE_REFUSED');
  assert.match(err.message, /does not match the private key/);

  // For the pending key, but naming another agent.
  err = await refusal(client.installCertificate(await signServerCsr(pki.ca, csr, { commonName: 'another-agent', ipAddresses: ['127.0.0.1'] })));
  assert.match(err.message, /issued to CN=another-agent/);

  // For the pending key and name, from a CA the agent does not trust.
  const stranger = await createCertificateAuthority({ commonName: 'stranger CA' });
  err = await refusal(client.installCertificate(await signServerCsr(stranger, csr, { commonName: 'test-agent', ipAddresses: ['127.0.0.1'] })));
  assert.match(err.message, /not signed by/);

  assert.deepEqual(files(), before, 'the files are untouched');
  assert.equal(await servedSerial('127.0.0.1', port, pki.ca.certPem), served, 'the old certificate is still served');
  assert.equal(typeof (await client.info()).agent_version, 'string');
});

test('the certificate for the pending key is installed and served by the same agent, old connections and new', async () => {
  const before = files();
  const pid = agent.pid;
  const csr = await client.certificateRequest();
  const cert = await signServerCsr(pki.ca, csr, { commonName: 'test-agent', ipAddresses: ['127.0.0.1'] });
  const serial = new X509Certificate(cert).serialNumber;
  const installed = await client.installCertificate(cert);
  assert.equal(installed.serial, serial);

  const now = files();
  assert.equal(now.cert, cert);
  assert.notEqual(now.key, before.key, 'a new key');
  assert.ok(new X509Certificate(cert).checkPrivateKey(createPrivateKey(now.key)), 'the key on disk is the one certified');
  assert.equal(statSync(pki.agentKeyPath).mode & 0o777, 0o600);
  assert.equal(await servedSerial('127.0.0.1', port, pki.ca.certPem), serial, 'new sessions get the new certificate');
  assert.equal((await client.certificate()).serial, serial);
  process.kill(pid, 0); // the agent that started, never restarted
  // The connection the controller kept open, and a new client.
  assert.equal(typeof (await client.info()).agent_version, 'string');
  const fresh = controllerClient(pki, agent.url);
  cleanup.clients.add(fresh);
  assert.equal(typeof (await fresh.info()).agent_version, 'string');

  // The pending key was used: the same certificate again finds none.
  assert.equal((await refusal(client.installCertificate(cert))).agentStatus, 409);
});

test('an install cut short is completed (key renamed already) or undone (nothing renamed yet)', () => {
  const dir = cleanup.tempDir('fulcrum-agent-csr-recover-');
  const paths = { caCertPath: join(dir, 'ca.pem'), certPath: join(dir, 'agent.pem'), keyPath: join(dir, 'agent-key.pem') };
  writeFileSync(paths.certPath, 'old cert');
  writeFileSync(paths.keyPath, 'old key');

  // Both written, neither renamed: the old pair stands.
  writeFileSync(`${paths.keyPath}.next`, 'new key');
  writeFileSync(`${paths.certPath}.next`, 'new cert');
  recoverInterruptedInstall(paths);
  assert.deepEqual([readFileSync(paths.keyPath, 'utf8'), readFileSync(paths.certPath, 'utf8')], ['old key', 'old cert']);
  assert.ok(!existsSync(`${paths.keyPath}.next`) && !existsSync(`${paths.certPath}.next`));

  // The key renamed, the certificate not yet: it follows its key.
  writeFileSync(paths.keyPath, 'new key');
  writeFileSync(`${paths.certPath}.next`, 'new cert');
  recoverInterruptedInstall(paths);
  assert.deepEqual([readFileSync(paths.keyPath, 'utf8'), readFileSync(paths.certPath, 'utf8')], ['new key', 'new cert']);
});
