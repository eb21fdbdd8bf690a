// The agent's access log through a real HAProxy, by both transports (src/amphora/render/
// haproxy-logging.ts): the named pipe HAProxy inherits (the default) and the log ring forwarded
// to the amphora's socket. Lines are served by GET /1.0/amphorae/{id}/logs; those HAProxy logs
// while no agent runs wait (in the pipe, or the ring) for the next agent, which numbers on from
// the file. And an agent's absence costs the HAProxy it leaves running nothing while idle.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentClient } from '../../src/amphora/agent-client.ts';
import { amphoraLayout } from '../../src/agent/layout.ts';
import { readProcStat } from '../../src/agent/process-table.ts';
import type { AmphoraRenderContext } from '../../src/amphora/render/context.ts';
import { globalLogLines, logRingSection } from '../../src/amphora/render/haproxy-logging.ts';
import type { LbGraph } from '../../src/model/lb-graph.ts';
import { renderContext } from '../../src/providers/amphora/render-context.ts';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
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

/** CPU time (user + system, clock ticks) of every HAProxy worker of the amphora. */
function workerTicks(masterPidFile: string): Map<number, number> {
  const master = Number(readFileSync(masterPidFile, 'utf8').trim());
  const children = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  assert.ok(children.length > 0, 'haproxy runs a worker');
  return new Map(children.map((pid) => [pid, readProcStat(pid)!.utime + readProcStat(pid)!.stime]));
}

test('HAProxy logs to the agent the way the controller renders it; with the agent killed, it does not spin and keeps the lines for the next agent', async () => {
  const id = 'amp-pipe';
  const layout = amphoraLayout(baseDir, id);
  // What the amphora provider renders by default, for this amphora's run directory.
  const graph = { loadBalancer: { vip_address: '127.10.0.1', additional_vips: [] } } as unknown as LbGraph;
  const rendered = renderContext(graph, { id, role: 'STANDALONE', run_dir: layout.runDir, netns: null, agent_url: null, vrrp_interface: null, vrrp_ip: null, vrrp_id: null, vrrp_priority: null });
  const ctx = { log: rendered.log } as AmphoraRenderContext;
  const first = await AgentProcess.start(cleanup, baseDir, pki);
  let client = clientFor(first);
  await client.registerAmphora(id);
  const port = await freePort();
  await client.putHaproxyConfig(
    id,
    haproxyConfig({
      baseDir,
      amphoraId: id,
      frontendPort: port,
      servers: [{ name: 's1', port: await startBackend(cleanup, 'be-pipe') }],
      globalLines: globalLogLines(ctx),
      frontendLines: ['log global', 'log-tag listener-1', "log-format 'project lb %f %ci %{+Q}r %ST'"],
      extra: logRingSection(ctx).join('\n'),
    }),
  );

  assert.equal((await httpGet(port, '/before')).status, 200);
  const before = await until('the first line', 10_000, async () => {
    const answer = await client.logs(id, { limit: 10 });
    return answer.logs.find((l) => l.message === 'project lb fe 127.0.0.1 "GET /before HTTP/1.1" 200') ?? false;
  });
  assert.equal(before.listener_id, 'listener-1');

  // Killed, as a crash or the OOM killer would: nothing is closed in order.
  process.kill(first.pid, 'SIGKILL');
  await first.exited;
  for (let i = 0; i < 3; i++) assert.equal((await httpGet(port, `/while-away/${i}`)).status, 200);
  // An idle HAProxy sleeps; one retrying its log connection in a loop burns ~15% of a core
  // (dozens of ticks in 2 s). The bound leaves room for a busy host; the figures are in
  // bench/log-spin.ts.
  const t0 = workerTicks(layout.haproxyPid);
  await sleep(2000);
  const t1 = workerTicks(layout.haproxyPid);
  for (const [pid, ticks] of t0) assert.ok((t1.get(pid) ?? ticks) - ticks <= 5, `haproxy worker ${pid} used ${(t1.get(pid) ?? ticks) - ticks} ticks in 2 s with no agent and no traffic`);

  const second = await AgentProcess.start(cleanup, baseDir, pki);
  client = clientFor(second);
  const away = await until('the lines logged while no agent ran', 20_000, async () => {
    const answer = await client.logs(id, { after: before.seq, limit: 100 });
    return answer.logs.filter((l) => l.message.includes('/while-away/')).length === 3 && answer;
  });
  assert.ok(away.logs.every((l) => l.seq > before.seq), 'numbering continues from the file');
  assert.equal((await httpGet(port, '/after')).status, 200);
  await until('a line logged to the new agent', 10_000, async () => (await client.logs(id, { limit: 10 })).logs.some((l) => l.message.includes('/after')));
  assert.equal(await second.stop(), 0);
});
