// The local agent's certificate is renewed before it expires without restarting the agent:
// new files, SIGHUP, and the same agent process serves the new certificate.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority } from '../../src/pki/certificate-authority.ts';
import { controllerClientTls } from '../../src/pki/ca-store.ts';
import { ensureLocalAgent } from '../../src/compute/local-agent.ts';
import { agentPemFiles, renewAgentCertificateIfDue, renewalDue, servedSerial } from '../../src/compute/agent-cert-renewal.ts';
import { AgentClient } from '../../src/amphora/agent-client.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { freePort, stopLocalDataPlane } from '../helpers/data-plane.ts';

const DAY = 86_400_000;
const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-renewal-'));
after(() => {
  stopLocalDataPlane(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
});

test('renewal is due with less than 30 days left', () => {
  const now = new Date('2027-01-01T00:00:00Z');
  assert.ok(renewalDue(new Date(now.getTime() + 29 * DAY), now));
  assert.ok(renewalDue(new Date(now.getTime() - DAY), now));
  assert.ok(!renewalDue(new Date(now.getTime() + 31 * DAY), now));
});

test('a certificate near expiry is replaced while the same agent keeps running', async () => {
  const ca = await createCertificateAuthority();
  const log = createLogger('silent');
  const dir = join(dataDir, 'agent');
  const port = await freePort();
  const url = await ensureLocalAgent({ ca, dir, host: '127.0.0.1', port, log, certificateDays: 10 });
  const pid = Number(readFileSync(join(dir, 'agent.pid'), 'utf8'));
  const before = await servedSerial('127.0.0.1', port, ca.certPem);
  assert.equal(before, new X509Certificate(readFileSync(agentPemFiles(dir).cert, 'utf8')).serialNumber);

  const result = await renewAgentCertificateIfDue({ ca, agentDir: dir, host: '127.0.0.1', port, log });
  assert.equal(result.renewed, true);
  assert.ok(result.notAfter!.getTime() > Date.now() + 300 * DAY, `${result.notAfter?.toISOString()}`);
  const served = await servedSerial('127.0.0.1', port, ca.certPem);
  assert.notEqual(served, before);
  assert.equal(served, new X509Certificate(readFileSync(agentPemFiles(dir).cert, 'utf8')).serialNumber);
  assert.equal(statSync(agentPemFiles(dir).key).mode & 0o777, 0o600);

  // The same process, and it still answers the controller.
  assert.equal(Number(readFileSync(join(dir, 'agent.pid'), 'utf8')), pid);
  process.kill(pid, 0);
  const client = new AgentClient({ url, tls: await controllerClientTls(ca) });
  try {
    assert.equal(typeof (await client.info()).agent_version, 'string');
  } finally {
    await client.close();
  }

  assert.equal((await renewAgentCertificateIfDue({ ca, agentDir: dir, host: '127.0.0.1', port, log })).renewed, false, 'a fresh certificate is kept');
  // Adopting it again neither restarts it nor renews again.
  assert.equal(await ensureLocalAgent({ ca, dir, host: '127.0.0.1', port: null, log }), url);
  assert.equal(await servedSerial('127.0.0.1', port, ca.certPem), served);
  assert.equal(Number(readFileSync(join(dir, 'agent.pid'), 'utf8')), pid);
});
