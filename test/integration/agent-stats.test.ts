// GET …/stats parses haproxy's `show stat`: frontend, backend and server counters move with
// traffic, servers carry their status and health-check result, and an amphora without a
// running haproxy answers 409.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentRequestFailed, type AgentClient, type HaproxyStats } from '../../src/amphora/agent-client.ts';
import { bodies, Cleanup, freePort, haproxyConfig, startBackend, startTestAgent, until } from './agent-harness.ts';

const cleanup = new Cleanup();
let baseDir: string;
let client: AgentClient;

before(async () => {
  ({ baseDir, client } = await startTestAgent(cleanup, 'stats'));
});

after(() => cleanup.run());

test('statistics move after traffic', async () => {
  const id = 'amp-stats';
  await client.registerAmphora(id);
  const notRunning = await client.stats(id).catch((e: unknown) => e);
  assert.ok(notRunning instanceof AgentRequestFailed);
  assert.equal(notRunning.agentStatus, 409);
  assert.equal(notRunning.agentCode, 'LB_ERR_AGENT_NOT_RUNNING');

  const port = await freePort();
  const dead = await freePort();
  await client.putHaproxyConfig(
    id,
    haproxyConfig({
      baseDir,
      amphoraId: id,
      frontendPort: port,
      servers: [
        { name: 's1', port: await startBackend(cleanup, 'be1'), check: true },
        { name: 's2', port: dead, check: true },
      ],
    }),
  );
  // Health checks settle: s2 has nobody listening.
  const settled = await until('health checks to settle', 20_000, async () => {
    const stats = await client.stats(id);
    const s = (n: string) => stats.servers.find((x) => x.name === n)!;
    return s('s1').status === 'UP' && s('s2').status === 'DOWN' && stats;
  });
  const fe = (s: HaproxyStats) => s.frontends.find((f) => f.name === 'fe')!;
  const be = (s: HaproxyStats) => s.backends.find((b) => b.name === 'be')!;
  const s1 = (s: HaproxyStats) => s.servers.find((x) => x.backend === 'be' && x.name === 's1')!;
  assert.equal(fe(settled).status, 'OPEN');
  assert.equal(be(settled).status, 'UP');
  assert.equal(s1(settled).check_status, 'L4OK');
  assert.equal(settled.servers.find((x) => x.name === 's2')!.check_status, 'L4CON');

  assert.deepEqual(await bodies(port, '/app', 10), Array(10).fill('be1'));
  await bodies(port, '/ok', 5);
  const later = await client.stats(id);
  assert.ok(fe(later).stot! >= fe(settled).stot! + 15, `frontend sessions ${fe(settled).stot} → ${fe(later).stot}`);
  assert.ok(fe(later).bin! > fe(settled).bin! && fe(later).bout! > fe(settled).bout!);
  assert.equal(be(later).stot! - be(settled).stot!, 10, 'only /app reaches the backend');
  assert.equal(s1(later).stot! - s1(settled).stot!, 10);
  assert.ok(s1(later).bout! > s1(settled).bout!);
  assert.equal(typeof fe(later).scur, 'number');
  assert.equal(fe(later).ereq, 0);
  assert.equal(be(later).econ, 0);
});
