// Uploading haproxy configurations through a real agent: a valid one starts haproxy and
// serves; one haproxy rejects is a 400 that leaves the running haproxy and the file alone;
// one haproxy accepts but cannot bind (which `haproxy -c` misses) is an error, not a false
// success, both at start and at reload, and the old workers keep serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { AgentRequestFailed, type AgentClient } from '../../src/amphora/agent-client.ts';
import { amphoraLayout } from '../../src/agent/layout.ts';
import { AgentProcess, Cleanup, bodies, controllerClient, freePort, haproxyConfig, httpGet, makePki, readTrack, startBackend } from './agent-harness.ts';

const cleanup = new Cleanup();
let baseDir: string;
let client: AgentClient;
let backend: number;

before(async () => {
  const dir = cleanup.tempDir('fulcrum-agent-cfg-');
  baseDir = `${dir}/amphorae`;
  const pki = await makePki(dir);
  const agent = await AgentProcess.start(cleanup, baseDir, pki);
  client = controllerClient(pki, agent.url);
  cleanup.clients.add(client);
  backend = await startBackend(cleanup, 'be1');
});

after(() => cleanup.run());

/** A port held by someone else, so haproxy's bind fails. */
async function occupiedPort(): Promise<number> {
  const holder = createServer();
  holder.listen(0, '127.0.0.1');
  await once(holder, 'listening');
  cleanup.servers.add(holder);
  return (holder.address() as { port: number }).port;
}

async function rejection(promise: Promise<unknown>): Promise<AgentRequestFailed> {
  const err = await promise.then(
    () => assert.fail('expected the agent to refuse'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AgentRequestFailed, String(err));
  return err;
}

test('a valid configuration starts haproxy, which serves; invalid ones change nothing', async () => {
  const id = 'amp-config';
  const layout = amphoraLayout(baseDir, id);
  const { run_dir } = await client.registerAmphora(id);
  assert.equal(run_dir, layout.runDir);
  const port = await freePort();
  const config = haproxyConfig({ baseDir, amphoraId: id, frontendPort: port, servers: [{ name: 's1', port: backend }] });

  const withoutSocket = await rejection(client.putHaproxyConfig(id, config.replace(/^ {2}stats socket .*$/m, '')));
  assert.equal(withoutSocket.agentStatus, 400);
  assert.equal(withoutSocket.agentCode, 'LB_ERR_AGENT_INVALID_CONFIG');
  assert.match(withoutSocket.message, /stats socket .*haproxy\.sock/);

  const started = await client.putHaproxyConfig(id, config);
  assert.equal(started.action, 'started');
  assert.equal(started.workers.length, 1);
  assert.deepEqual(await httpGet(port, '/ok'), { status: 200, body: 'ok' });
  assert.deepEqual(await bodies(port, '/app', 3), ['be1', 'be1', 'be1']);
  assert.equal(readTrack(baseDir, id), '0', 'haproxy runs, so no fault');

  const broken = config.replace('balance roundrobin', 'balance no-such-algorithm');
  const invalid = await rejection(client.putHaproxyConfig(id, broken));
  assert.equal(invalid.agentStatus, 400);
  assert.equal(invalid.agentCode, 'LB_ERR_AGENT_INVALID_CONFIG');
  assert.equal(invalid.permanent, true, 'a configuration haproxy refuses fails a flow at once');
  assert.match(invalid.message, /haproxy rejected the configuration: \[ALERT\].*balance only supports/s);
  assert.equal(readFileSync(layout.haproxyConfig, 'utf8'), config, 'the running configuration file is untouched');
  assert.ok(!existsSync(`${layout.haproxyConfig}.new`));
  const status = await client.amphoraStatus(id);
  assert.equal(status.haproxy.master_pid, started.master_pid);
  assert.deepEqual(status.haproxy.workers, started.workers, 'no reload happened');
  assert.deepEqual(await httpGet(port, '/ok'), { status: 200, body: 'ok' });
});

test('a bind failure on reload is an error, and the previous workers and file stay', async () => {
  const id = 'amp-rebind';
  const layout = amphoraLayout(baseDir, id);
  await client.registerAmphora(id);
  const port = await freePort();
  const config = haproxyConfig({ baseDir, amphoraId: id, frontendPort: port, servers: [{ name: 's1', port: backend }] });
  const started = await client.putHaproxyConfig(id, config);

  const taken = await occupiedPort();
  const clash = haproxyConfig({ baseDir, amphoraId: id, frontendPort: port, servers: [{ name: 's1', port: backend }], extra: `frontend clash\n  bind 127.0.0.1:${taken}\n  http-request return status 200` });
  const err = await rejection(client.putHaproxyConfig(id, clash));
  assert.equal(err.agentStatus, 409);
  assert.equal(err.agentCode, 'LB_ERR_AGENT_APPLY_FAILED');
  assert.equal(err.permanent, false, 'a bind failure may be gone by the next attempt');
  assert.match(err.message, /previous one keeps serving: .*cannot bind socket.*127\.0\.0\.1:\d+/s);
  assert.equal(readFileSync(layout.haproxyConfig, 'utf8'), config, 'the previous file is back');
  const status = await client.amphoraStatus(id);
  assert.deepEqual(status.haproxy.workers, started.workers);
  assert.deepEqual(await httpGet(port, '/ok'), { status: 200, body: 'ok' });

  const next = await client.putHaproxyConfig(id, config);
  assert.equal(next.action, 'reloaded', 'the master recovers on the next good configuration');
  assert.notDeepEqual(next.workers, started.workers);
});

test('a bind failure at start is an error; nothing runs and no file is left behind', async () => {
  const id = 'amp-nobind';
  const layout = amphoraLayout(baseDir, id);
  await client.registerAmphora(id);
  const taken = await occupiedPort();
  const config = haproxyConfig({ baseDir, amphoraId: id, frontendPort: taken, servers: [{ name: 's1', port: backend }] });
  const err = await rejection(client.putHaproxyConfig(id, config));
  assert.equal(err.agentStatus, 409);
  assert.equal(err.agentCode, 'LB_ERR_AGENT_APPLY_FAILED');
  assert.match(err.message, /haproxy exited while starting: .*cannot bind socket/s);
  const status = await client.amphoraStatus(id);
  assert.equal(status.haproxy.running, false);
  assert.equal(status.fault, true);
  assert.equal(readTrack(baseDir, id), '1');
  assert.ok(!existsSync(layout.haproxyConfig));
});
