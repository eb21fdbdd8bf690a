// The PEM files that come with a haproxy.cfg through a real agent: written 0600 into the
// amphora's certificate directory before the check, put back when haproxy refuses the new
// config, stale ones removed once it runs, and nothing outside that directory accepted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:tls';
import { AgentRequestFailed, type AgentClient } from '../../src/amphora/agent-client.ts';
import { amphoraLayout } from '../../src/agent/layout.ts';
import { Cleanup, freePort, haproxyConfig, startBackend, startTestAgent } from './agent-harness.ts';
import { makeCa, serverCert, type PemPair } from '../helpers/tls-pki.ts';

const cleanup = new Cleanup();
let baseDir: string;
let client: AgentClient;
let backend: number;
let a: PemPair;
let b: PemPair;

before(async () => {
  ({ baseDir, client } = await startTestAgent(cleanup, 'certs'));
  backend = await startBackend(cleanup, 'be1');
  const ca = await makeCa('Agent test CA');
  [a, b] = await Promise.all([serverCert(ca, 'a.example'), serverCert(ca, 'b.example')]);
});

after(() => cleanup.run());

/** The CN of the certificate served on `port`. */
function servedCn(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const cn = String(socket.getPeerCertificate().subject?.CN ?? '');
      socket.destroy();
      resolve(cn);
    });
    socket.on('error', reject);
  });
}

test('certificate files are installed, restored on refusal, pruned when stale, confined to the directory', async () => {
  const id = 'amp-certs';
  const layout = amphoraLayout(baseDir, id);
  await client.registerAmphora(id);
  const port = await freePort();
  const pemPath = `${layout.certDir}/listener.pem`;
  const config = haproxyConfig({ baseDir, amphoraId: id, frontendPort: port, servers: [{ name: 's1', port: backend }] }).replace(
    `bind 127.0.0.1:${port}`,
    `bind 127.0.0.1:${port} ssl crt ${pemPath}`,
  );
  const bundle = (p: PemPair) => p.certPem + p.keyPem;

  const started = await client.putHaproxyConfig(id, config, undefined, [
    { path: pemPath, content: bundle(a) },
    { path: `${layout.certDir}/old.pem`, content: bundle(b) },
  ]);
  assert.equal(started.action, 'started');
  assert.equal(await servedCn(port), 'a.example');
  assert.equal(statSync(pemPath).mode & 0o777, 0o600);

  const reloaded = await client.putHaproxyConfig(id, config, undefined, [{ path: pemPath, content: bundle(b) }]);
  assert.equal(reloaded.action, 'reloaded');
  assert.equal(await servedCn(port), 'b.example', 'the new certificate is served after the reload');
  assert.deepEqual(readdirSync(layout.certDir), ['listener.pem'], 'the file no config names any more is gone');

  const refused = await client.putHaproxyConfig(id, config, undefined, [{ path: pemPath, content: 'not a certificate\n' }]).catch((e: unknown) => e);
  assert.ok(refused instanceof AgentRequestFailed, String(refused));
  assert.equal(refused.agentCode, 'LB_ERR_AGENT_INVALID_CONFIG');
  assert.equal(readFileSync(pemPath, 'utf8'), bundle(b), 'the previous file is put back');
  assert.equal(await servedCn(port), 'b.example');

  const outside = await client.putHaproxyConfig(id, config, undefined, [{ path: `${layout.runDir}/haproxy.cfg`, content: 'x' }]).catch((e: unknown) => e);
  assert.ok(outside instanceof AgentRequestFailed);
  assert.equal(outside.agentCode, 'LB_ERR_AGENT_INVALID_REQUEST');
  const traversal = await client.putHaproxyConfig(id, config, undefined, [{ path: `${layout.certDir}/../amphora.json`, content: 'x' }]).catch((e: unknown) => e);
  assert.ok(traversal instanceof AgentRequestFailed);
  assert.equal(traversal.agentCode, 'LB_ERR_AGENT_INVALID_REQUEST');
  assert.ok(existsSync(layout.meta) && readFileSync(layout.meta, 'utf8') !== 'x');

  const withoutFiles = await client.putHaproxyConfig(id, config);
  assert.equal(withoutFiles.action, 'reloaded');
  assert.deepEqual(readdirSync(layout.certDir), ['listener.pem'], 'a config sent without files leaves the directory alone');
});
