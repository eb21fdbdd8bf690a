// Restarting the agent does not touch the data plane: haproxy keeps serving while no agent
// runs, the next agent re-adopts the same master (no duplicate), reloads it, and, although
// the master is no longer its child, notices when it dies and starts it again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentClient } from '../../src/amphora/agent-client.ts';
import { identify } from '../../src/agent/process-table.ts';
import { AgentProcess, Cleanup, controllerClient, freePort, haproxyConfig, httpGet, makePki, readTrack, requestLoop, startBackend, until, type Pki } from './agent-harness.ts';

const cleanup = new Cleanup();
let baseDir: string;
let pki: Pki;

before(async () => {
  const dir = cleanup.tempDir('fulcrum-agent-restart-');
  baseDir = `${dir}/amphorae`;
  pki = await makePki(dir);
});

after(() => cleanup.run());

function clientFor(agent: AgentProcess): AgentClient {
  const client = controllerClient(pki, agent.url);
  cleanup.clients.add(client);
  return client;
}

test('a restarted agent re-adopts the running haproxy, which never stopped serving', async () => {
  const id = 'amp-restart';
  const first = await AgentProcess.start(cleanup, baseDir, pki);
  let client = clientFor(first);
  await client.registerAmphora(id);
  const port = await freePort();
  const config = haproxyConfig({ baseDir, amphoraId: id, frontendPort: port, servers: [{ name: 's1', port: await startBackend(cleanup, 'be1') }] });
  const started = await client.putHaproxyConfig(id, config);

  const loop = requestLoop(port, ['/ok', '/app']);
  assert.equal(await first.stop(), 0, 'the agent exits cleanly on SIGTERM');
  assert.ok(identify(started.master_pid), 'haproxy outlived the agent');
  const servedWithoutAgent = loop.state.ok;
  await until('requests served while no agent runs', 10_000, () => loop.state.ok >= servedWithoutAgent + 20);

  const second = await AgentProcess.start(cleanup, baseDir, pki);
  client = clientFor(second);
  const state = await loop.stop();
  assert.deepEqual(state.failures, []);
  assert.deepEqual((await client.info()).amphorae, [id]);
  const status = await client.amphoraStatus(id);
  assert.equal(status.haproxy.running, true);
  assert.equal(status.haproxy.master_pid, started.master_pid, 'the same master, adopted, not a second one');
  assert.deepEqual(status.haproxy.workers, started.workers);
  assert.equal(status.fault, false);
  assert.equal(readTrack(baseDir, id), '0');

  const reloaded = await client.putHaproxyConfig(id, config);
  assert.equal(reloaded.action, 'reloaded', 'an adopted haproxy is reloaded, not started again');
  assert.equal(reloaded.master_pid, started.master_pid);
  assert.deepEqual(await httpGet(port, '/ok'), { status: 200, body: 'ok' });

  // The adopted master is not this agent's child: its death is seen through /proc, and the
  // agent starts it again on its own.
  process.kill(reloaded.master_pid, 'SIGKILL');
  const restarted = await until('the adopted haproxy to be restarted', 30_000, async () => {
    const s = await client.amphoraStatus(id);
    return s.supervision.events.some((e) => e.kind === 'restarted' && e.pid === s.haproxy.master_pid) && s;
  });
  assert.deepEqual(
    restarted.supervision.events.map((e) => [e.kind, e.pid]),
    [
      ['exited', started.master_pid],
      ['restarted', restarted.haproxy.master_pid],
    ],
  );
  assert.equal(identify(started.master_pid), null);
  assert.notEqual(restarted.haproxy.master_pid, started.master_pid);
  assert.equal(readTrack(baseDir, id), '0');
  assert.deepEqual(await httpGet(port, '/app'), { status: 200, body: 'be1' });
  assert.equal((await client.putHaproxyConfig(id, config)).action, 'reloaded', 'the restarted master is supervised like any other');
});

test('a directory left by a registration cut short is removed when the next agent starts', async () => {
  const dir = cleanup.tempDir('fulcrum-agent-restart-cut-');
  const base = `${dir}/amphorae`;
  const agentPki = await makePki(dir);
  const id = 'amp-cut-short';
  const first = await AgentProcess.start(cleanup, base, agentPki);
  const client = controllerClient(agentPki, first.url);
  cleanup.clients.add(client);
  await client.registerAmphora(id);
  assert.equal(await first.stop(), 0);
  // As if the agent had died between making the directory and writing its meta.
  rmSync(join(base, id, 'amphora.json'), { force: true });
  assert.ok(existsSync(join(base, id)));
  const second = await AgentProcess.start(cleanup, base, agentPki);
  const again = controllerClient(agentPki, second.url);
  cleanup.clients.add(again);
  assert.equal(existsSync(join(base, id)), false, 'the unfinished directory is gone');
  await again.registerAmphora(id);
  assert.ok(existsSync(join(base, id)), 'and the amphora can be registered again');
});
