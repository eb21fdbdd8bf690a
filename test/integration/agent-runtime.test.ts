// Runtime API changes through the agent: they apply without a reload (same worker), the
// uploaded file is still swapped in so the next reload picks it up, and the server-state dump
// carries runtime weights and admin states across that reload. A refused command is
// reported per command.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AgentRequestFailed, type AgentClient, type HaproxyStats } from '../../src/amphora/agent-client.ts';
import { amphoraLayout } from '../../src/agent/layout.ts';
import { bodies, Cleanup, freePort, haproxyConfig, startBackend, startTestAgent } from './agent-harness.ts';

const cleanup = new Cleanup();
let baseDir: string;
let client: AgentClient;

before(async () => {
  ({ baseDir, client } = await startTestAgent(cleanup, 'runtime'));
});

after(() => cleanup.run());

function server(stats: HaproxyStats, name: string) {
  const s = stats.servers.find((x) => x.backend === 'be' && x.name === name);
  assert.ok(s, `server be/${name} in ${JSON.stringify(stats.servers)}`);
  return s;
}

test('runtime changes apply without a new worker and survive a later reload', async () => {
  const id = 'amp-runtime';
  await client.registerAmphora(id);
  const port = await freePort();
  const servers = [
    { name: 's1', port: await startBackend(cleanup, 'be1') },
    { name: 's2', port: await startBackend(cleanup, 'be2') },
  ];
  const v1 = haproxyConfig({ baseDir, amphoraId: id, frontendPort: port, servers });
  const started = await client.putHaproxyConfig(id, v1);
  assert.deepEqual(new Set(await bodies(port, '/app', 4)), new Set(['be1', 'be2']));

  // v2 also answers /v2 itself; that part needs a reload, so it must not show up yet.
  const v2 = haproxyConfig({ baseDir, amphoraId: id, frontendPort: port, servers, frontendLines: ['http-request return status 200 content-type text/plain string v2 if { path /v2 }'] });
  const applied = await client.putHaproxyConfig(id, v2, ['set server be/s1 weight 7', 'set server be/s2 state maint']);
  assert.equal(applied.action, 'runtime');
  assert.deepEqual(applied.runtime, [
    { command: 'set server be/s1 weight 7', ok: true, output: '' },
    { command: 'set server be/s2 state maint', ok: true, output: '' },
  ]);
  assert.equal(applied.master_pid, started.master_pid);
  assert.deepEqual(applied.workers, started.workers, 'no reload: the same worker serves');
  assert.equal(readFileSync(amphoraLayout(baseDir, id).haproxyConfig, 'utf8'), v2, 'the file is updated for the next reload');
  let stats = await client.stats(id);
  assert.equal(server(stats, 's1').weight, 7);
  assert.equal(server(stats, 's2').status, 'MAINT');
  assert.deepEqual(await bodies(port, '/app', 4), ['be1', 'be1', 'be1', 'be1']);
  assert.deepEqual(await bodies(port, '/v2', 1), ['be1'], 'v2 is not loaded yet');

  const reloaded = await client.putHaproxyConfig(id, v2);
  assert.equal(reloaded.action, 'reloaded');
  assert.notDeepEqual(reloaded.workers, started.workers);
  assert.deepEqual(await bodies(port, '/v2', 1), ['v2'], 'the reload loaded the updated file');
  stats = await client.stats(id);
  assert.equal(server(stats, 's1').weight, 7, 'the runtime weight survived the reload');
  assert.equal(server(stats, 's2').status, 'MAINT', 'the runtime admin state survived the reload');
  assert.deepEqual(await bodies(port, '/app', 4), ['be1', 'be1', 'be1', 'be1']);
});

test('a refused runtime command is reported with the results so far; later ones are not sent', async () => {
  const id = 'amp-runtime-error';
  await client.registerAmphora(id);
  const port = await freePort();
  const config = haproxyConfig({ baseDir, amphoraId: id, frontendPort: port, servers: [{ name: 's1', port: await startBackend(cleanup, 'be1') }] });
  await client.putHaproxyConfig(id, config);
  const err = await client.putHaproxyConfig(id, config, ['set server be/s1 weight 3', 'set server be/nope weight 3', 'set server be/s1 weight 9']).then(
    () => assert.fail('expected the agent to report the refused command'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AgentRequestFailed, String(err));
  assert.equal(err.agentStatus, 409);
  assert.equal(err.agentCode, 'LB_ERR_AGENT_RUNTIME_FAILED');
  assert.match(err.message, /haproxy refused "set server be\/nope weight 3": No such server\. \(1 later command\(s\) not sent\)/);
  assert.deepEqual(err.details, {
    results: [
      { command: 'set server be/s1 weight 3', ok: true, output: '' },
      { command: 'set server be/nope weight 3', ok: false, output: 'No such server.' },
    ],
  });
  assert.equal(server(await client.stats(id), 's1').weight, 3);

  const unknown = await client.putHaproxyConfig(id, config, ['no such command']).catch((e: unknown) => e);
  assert.ok(unknown instanceof AgentRequestFailed);
  assert.match(unknown.message, /haproxy refused "no such command": Unknown command/);

  const smuggled = await client.putHaproxyConfig(id, config, ['set server be/s1 weight 1; shutdown sessions server be/s1']).catch((e: unknown) => e);
  assert.ok(smuggled instanceof AgentRequestFailed);
  assert.equal(smuggled.agentStatus, 400, 'one command per entry');
});
