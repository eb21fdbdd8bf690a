// Stopping haproxy and deleting an amphora: the processes are gone when the agent answers,
// the track file says fault while haproxy is stopped, and deletion removes the run directory
// and is idempotent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { AgentRequestFailed, type AgentClient } from '../../src/amphora/agent-client.ts';
import { amphoraLayout } from '../../src/agent/layout.ts';
import { identify } from '../../src/agent/process-table.ts';
import { Cleanup, freePort, haproxyConfig, httpGet, readTrack, startBackend, startTestAgent } from './agent-harness.ts';

const cleanup = new Cleanup();
let baseDir: string;
let client: AgentClient;

before(async () => {
  ({ baseDir, client } = await startTestAgent(cleanup, 'delete'));
});

after(() => cleanup.run());

test('DELETE haproxy stops it; DELETE amphora stops everything and removes the directory', async () => {
  const id = 'amp-delete';
  const layout = amphoraLayout(baseDir, id);
  await client.registerAmphora(id);
  const port = await freePort();
  const config = haproxyConfig({ baseDir, amphoraId: id, frontendPort: port, servers: [{ name: 's1', port: await startBackend(cleanup, 'be1') }] });
  const first = await client.putHaproxyConfig(id, config);

  await client.stopHaproxy(id);
  assert.equal(identify(first.master_pid), null, 'the master is gone when the agent answers');
  for (const worker of first.workers) assert.equal(identify(worker), null, `worker ${worker} is gone`);
  await assert.rejects(httpGet(port, '/ok'), /ECONNREFUSED/);
  assert.equal((await client.amphoraStatus(id)).haproxy.running, false);
  assert.equal(readTrack(baseDir, id), '1', 'no haproxy, no VIP for this node');
  await client.stopHaproxy(id);

  const second = await client.putHaproxyConfig(id, config);
  assert.equal(second.action, 'started', 'the kept file is started again');
  assert.deepEqual(await httpGet(port, '/ok'), { status: 200, body: 'ok' });

  await client.deleteAmphora(id);
  assert.equal(identify(second.master_pid), null);
  assert.ok(!existsSync(layout.runDir), 'the run directory is removed');
  assert.deepEqual((await client.info()).amphorae, []);
  const gone = await client.amphoraStatus(id).catch((e: unknown) => e);
  assert.ok(gone instanceof AgentRequestFailed);
  assert.equal(gone.agentStatus, 404);
  assert.equal(gone.agentCode, 'LB_ERR_AGENT_UNKNOWN_AMPHORA');
  await client.deleteAmphora(id);
});
