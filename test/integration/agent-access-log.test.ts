// The agent's access log through a real HAProxy log ring: lines arrive on the amphora's socket
// and are served by GET /1.0/amphorae/{id}/logs; while the agent is away HAProxy's ring keeps
// them, and the next agent receives them once HAProxy reconnects, numbering on from the file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentClient } from '../../src/amphora/agent-client.ts';
import { amphoraLayout } from '../../src/agent/layout.ts';
import { AgentProcess, Cleanup, controllerClient, freePort, haproxyConfig, httpGet, makePki, startBackend, until, type Pki } from './agent-harness.ts';

const cleanup = new Cleanup();
let baseDir: string;
let pki: Pki;

before(async () => {
  const dir = cleanup.tempDir('fulcrum-agent-access-log-');
  baseDir = `${dir}/amphorae`;
  pki = await makePki(dir);
});

after(() => cleanup.run());

function clientFor(agent: AgentProcess): AgentClient {
  const client = controllerClient(pki, agent.url);
  cleanup.clients.add(client);
  return client;
}

test('access-log lines reach the agent through the ring, also those sent while no agent ran', async () => {
  const id = 'amp-logs';
  const layout = amphoraLayout(baseDir, id);
  const first = await AgentProcess.start(cleanup, baseDir, pki);
  let client = clientFor(first);
  await client.registerAmphora(id);
  const port = await freePort();
  const config = haproxyConfig({
    baseDir,
    amphoraId: id,
    frontendPort: port,
    servers: [{ name: 's1', port: await startBackend(cleanup, 'be1') }],
    frontendLines: ['log ring@fulcrum_log len 8192 local0 info', 'log-tag listener-1', "log-format 'project lb %f %ci %{+Q}r %ST'"],
    extra: ['ring fulcrum_log', '  format rfc5424', '  maxlen 8192', '  size 65536', '  timeout connect 1s', '  timeout server 10s', `  server agent unix@${layout.logSocket}`].join('\n'),
  });
  await client.putHaproxyConfig(id, config);

  assert.equal((await httpGet(port, '/first?a=1')).status, 200);
  const firstLines = await until('the first line', 10_000, async () => {
    const answer = await client.logs(id, { limit: 10 });
    return answer.logs.some((l) => l.message.includes('"GET /first?a=1 HTTP/1.1" 200')) && answer;
  });
  const line = firstLines.logs.find((l) => l.message.includes('/first'))!;
  assert.equal(line.listener_id, 'listener-1');
  assert.equal(line.message, 'project lb fe 127.0.0.1 "GET /first?a=1 HTTP/1.1" 200');
  assert.ok(Math.abs(Date.parse(line.time) - Date.now()) < 60_000);

  assert.equal(await first.stop(), 0);
  for (let i = 0; i < 3; i++) assert.equal((await httpGet(port, `/while-away/${i}`)).status, 200);

  const second = await AgentProcess.start(cleanup, baseDir, pki);
  client = clientFor(second);
  const after = await until('the lines sent while no agent ran', 20_000, async () => {
    const answer = await client.logs(id, { after: line.seq, limit: 100 });
    return answer.logs.filter((l) => l.message.includes('/while-away/')).length === 3 && answer;
  });
  assert.ok(after.logs.every((l) => l.seq > line.seq), 'numbering continues from the file');
  assert.deepEqual((await client.logs(id, { limit: 100 })).logs.filter((l) => l.message.includes('/first?a=1')).length, 1, 'the old line is still there, once');
  assert.equal((await client.logs(id, { sinceMs: Date.now() + 60_000, limit: 100 })).logs.length, 0);
});
