// Seamless reloads through the agent: 50 configuration uploads, each answered only once the
// master CLI shows a new worker, while a request loop opens a new TCP connection per request
// through haproxy. Not one request may fail.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentClient } from '../../src/amphora/agent-client.ts';
import { Cleanup, freePort, haproxyConfig, requestLoop, startBackend, startTestAgent } from './agent-harness.ts';

const RELOADS = 50;
const cleanup = new Cleanup();
let baseDir: string;
let client: AgentClient;

before(async () => {
  ({ baseDir, client } = await startTestAgent(cleanup, 'reload'));
});

after(() => cleanup.run());

test(`${RELOADS} reloads under a new-connection-per-request loop lose no request`, async (t) => {
  const id = 'amp-reload';
  await client.registerAmphora(id);
  const port = await freePort();
  const servers = [
    { name: 's1', port: await startBackend(cleanup, 'be1') },
    { name: 's2', port: await startBackend(cleanup, 'be2') },
  ];
  const configs = [0, 1].map((i) => haproxyConfig({ baseDir, amphoraId: id, frontendPort: port, servers: servers.map((s) => ({ ...s, weight: i === 0 ? 5 : 6 })) }));
  const first = await client.putHaproxyConfig(id, configs[0]);
  assert.equal(first.action, 'started');

  const loops = [requestLoop(port, ['/ok', '/app']), requestLoop(port, ['/app'])];
  const seenWorkers = new Set(first.workers);
  try {
    for (let i = 1; i <= RELOADS; i++) {
      const result = await client.putHaproxyConfig(id, configs[i % 2]);
      assert.equal(result.action, 'reloaded');
      assert.equal(result.master_pid, first.master_pid, 'the master stays, only workers change');
      assert.equal(result.workers.length, 1);
      assert.ok(!seenWorkers.has(result.workers[0]), `reload ${i} answered with a new worker`);
      seenWorkers.add(result.workers[0]);
    }
  } finally {
    for (const loop of loops) await loop.stop();
  }
  const ok = loops.reduce((n, l) => n + l.state.ok, 0);
  const failures = loops.flatMap((l) => l.state.failures);
  t.diagnostic(`${ok} requests succeeded during ${RELOADS} reloads; failures: ${failures.length}`);
  assert.deepEqual(failures, []);
  assert.ok(ok >= RELOADS, `the loop ran throughout the reloads (${ok} requests)`);
});
