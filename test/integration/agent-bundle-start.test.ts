// The agent the controller starts (ensureLocalAgent → bin/fulcrum-amphora-agent.js) runs from
// the bundle built from the current sources, not from the TypeScript sources through tsx: it
// says so in its log, answers over mutual TLS, and sends signed heartbeats for its amphorae.
// So does the agent of a joined host (`fulcrum host join`, restarted by its service manager).
// The test builds the bundle when it is missing or stale, so it never checks an old one.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_BUNDLE_DIR, AGENT_BUNDLE_FILE, AGENT_BUNDLE_MANIFEST, HOST_JOIN_BUNDLE_FILE, agentBundleStaleness } from '../../bin/agent-bundle.js';
import { ensureAgentBundle } from '../../src/agent/bundle.ts';
import { openHeartbeat, type Heartbeat } from '../../src/agent/heartbeat-codec.ts';
import { AgentClient } from '../../src/amphora/agent-client.ts';
import { ensureLocalAgent, localAgentFiles } from '../../src/compute/local-agent.ts';
import { createCertificateAuthority, issueServerCertificate } from '../../src/pki/certificate-authority.ts';
import { hostFiles } from '../../src/cli/host-join.ts';
import { controllerClientTls } from '../../src/pki/ca-store.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { freePort, stopLocalDataPlane } from '../helpers/data-plane.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-agent-bundle-start-'));
const socket = createSocket('udp4');
after(() => {
  socket.close();
  stopLocalDataPlane(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
});

test('the controller starts the agent from its bundle, which answers and heartbeats', async () => {
  await ensureAgentBundle();
  assert.equal(agentBundleStaleness(), null);
  const manifest = JSON.parse(readFileSync(join(AGENT_BUNDLE_DIR, AGENT_BUNDLE_MANIFEST), 'utf8')) as { inputs: string[] };
  assert.ok(manifest.inputs.includes('../../src/agent/main.ts'), 'the manifest names the sources compiled in');
  assert.ok(existsSync(join(AGENT_BUNDLE_DIR, 'sctp_init_probe.py')), 'the files the agent finds beside its module are copied beside the bundle');

  const ca = await createCertificateAuthority();
  const dir = join(dataDir, 'agent');
  const url = await ensureLocalAgent({ ca, dir, host: '127.0.0.1', port: await freePort(), log: createLogger('silent') });
  const listening = readFileSync(localAgentFiles(dir).log, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"amphora agent listening"'))
    .map((line) => JSON.parse(line) as { code: string });
  assert.equal(listening.length, 1);
  assert.equal(listening[0].code, join(AGENT_BUNDLE_DIR, AGENT_BUNDLE_FILE));

  const key = randomBytes(32);
  const got: Heartbeat[] = [];
  socket.on('message', (packet) => got.push(openHeartbeat(packet, (id) => (id === 'bundle-key' ? key : undefined), Date.now(), 10_000).heartbeat));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const client = new AgentClient({ url, tls: await controllerClientTls(ca) });
  try {
    // The bundle finds package.json from its own place, as the sources do.
    assert.equal((await client.info()).agent_version, (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version);
    await client.registerAmphora('amp-bundle');
    await client.putHeartbeatSettings({ key_id: 'bundle-key', key: key.toString('base64'), targets: [{ host: '127.0.0.1', port: socket.address().port }], interval_ms: 100 });
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(got[0]?.amphora_id, 'amp-bundle');
  } finally {
    await client.close();
  }
});

test('a joined host whose certificate is in its data dir serves its agent from the bundle', async (t) => {
  await ensureAgentBundle();
  const ca = await createCertificateAuthority();
  const host = await issueServerCertificate(ca, { commonName: 'fulcrum-host-h1', ipAddresses: ['127.0.0.1'] });
  const dir = join(dataDir, 'host');
  const files = hostFiles(dir);
  const port = await freePort();
  mkdirSync(files.pki, { recursive: true, mode: 0o700 });
  writeFileSync(files.ca, ca.certPem);
  writeFileSync(files.cert, host.certPem);
  writeFileSync(files.key, host.keyPem, { mode: 0o600 });
  // Joined before: no token, and the controller is not called.
  writeFileSync(files.record, JSON.stringify({ id: 'h1', name: 'h1', controller: 'http://127.0.0.1:1', address: '127.0.0.1', port }));
  const bin = new URL('../../bin/fulcrum.js', import.meta.url);
  const child = spawn(process.execPath, [bin.pathname, 'host', 'join', '--controller', 'http://127.0.0.1:1', '--name', 'h1', '--address', '127.0.0.1', '--port', String(port), '--data-dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    child.kill('SIGKILL');
  });
  const listening = await new Promise<{ code: string; address: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`host join exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('"amphora agent listening"')) resolve(JSON.parse(line) as { code: string; address: string });
    });
  });
  assert.equal(listening.code, join(AGENT_BUNDLE_DIR, HOST_JOIN_BUNDLE_FILE));
  const client = new AgentClient({ url: listening.address, tls: await controllerClientTls(ca) });
  try {
    assert.deepEqual((await client.info()).amphorae, []);
  } finally {
    await client.close();
  }
});
