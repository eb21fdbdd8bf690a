// The agent's heartbeats: once the controller sets targets and a key (PUT /1.0/heartbeat), a
// real agent sends every amphora's heartbeat, signed with that key, with HAProxy's state and
// counters; the settings are kept 0600 beside the base directory, so a restarted agent goes on
// sending with no controller call; new settings (another target) take effect at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { amphoraLayout } from '../../src/agent/layout.ts';
import { AgentProcess, Cleanup, controllerClient, freePort, haproxyConfig, httpGet, makePki, startBackend, until, type Pki } from './agent-harness.ts';
import { openHeartbeat, type Heartbeat } from '../../src/agent/heartbeat-codec.ts';
import { settingsDigest, type HeartbeatSettings } from '../../src/agent/heartbeat-settings.ts';

const cleanup = new Cleanup();
let dir: string;
let baseDir: string;
let pki: Pki;
const sockets: Socket[] = [];
const key = randomBytes(32);

before(async () => {
  dir = cleanup.tempDir('fulcrum-agent-heartbeat-');
  baseDir = join(dir, 'amphorae');
  pki = await makePki(dir);
});

after(async () => {
  for (const s of sockets) s.close();
  await cleanup.run();
});

/** A UDP socket that keeps what verifies under `key`. */
async function collector(): Promise<{ port: number; got: Heartbeat[]; rejected: number }> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  const c = { port: 0, got: [] as Heartbeat[], rejected: 0 };
  socket.on('message', (packet) => {
    try {
      c.got.push(openHeartbeat(packet, (id) => (id === 'agent-key-1' ? key : undefined), Date.now(), 10_000).heartbeat);
    } catch {
      c.rejected++;
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  c.port = socket.address().port;
  return c;
}

test('heartbeats go where the controller says, signed, with HAProxy state and counters, and survive an agent restart', async () => {
  const id = 'amp-heartbeat';
  const first = await AgentProcess.start(cleanup, baseDir, pki);
  const client = controllerClient(pki, first.url);
  cleanup.clients.add(client);
  assert.deepEqual(await client.heartbeatSettings(), { digest: null });
  await client.registerAmphora(id);
  const port = await freePort();
  await client.putHaproxyConfig(id, haproxyConfig({ baseDir, amphoraId: id, frontendPort: port, servers: [{ name: 's1', port: await startBackend(cleanup, 'be1') }] }));

  const a = await collector();
  const settings: HeartbeatSettings = { key_id: 'agent-key-1', key: key.toString('base64'), targets: [{ host: '127.0.0.1', port: a.port }], interval_ms: 100 };
  const answer = await client.putHeartbeatSettings(settings);
  assert.equal(answer.digest, settingsDigest(settings));
  assert.equal(statSync(join(dir, 'heartbeat.json')).mode & 0o777, 0o600, 'the key is kept 0600');

  for (let i = 0; i < 3; i++) assert.equal((await httpGet(port, '/ok')).status, 200);
  const withTraffic = await until('a heartbeat counting the requests', 15_000, () => a.got.find((h) => h.proxies.some((p) => p.s === 'FRONTEND' && (p.c?.[3] ?? 0) >= 3)));
  assert.equal(withTraffic.amphora_id, id);
  assert.equal(withTraffic.haproxy.running, true);
  assert.match(withTraffic.haproxy.epoch ?? '', /^\d+\.\d+$/, 'the epoch names the HAProxy worker');
  assert.equal(a.rejected, 0);
  const seqs = a.got.map((h) => h.seq);
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'sequences rise');

  // New targets take effect at once.
  const b = await collector();
  await client.putHeartbeatSettings({ ...settings, targets: [{ host: '127.0.0.1', port: b.port }] });
  await until('heartbeats at the new target', 10_000, () => b.got.length > 0);

  // A restarted agent sends again, with higher sequences, before anyone calls it.
  const lastSeq = Math.max(...b.got.map((h) => h.seq));
  assert.equal(await first.stop(), 0);
  const before = b.got.length;
  await AgentProcess.start(cleanup, baseDir, pki);
  const resumed = await until('heartbeats from the restarted agent', 15_000, () => b.got.slice(before).find((h) => h.seq > lastSeq));
  assert.equal(resumed.amphora_id, id);
  assert.ok(b.got.slice(before).every((h) => h.seq > lastSeq), 'no sequence goes back');
});

test("a server HAProxy takes down is reported at once, not at the next interval", async () => {
  const id = 'amp-server-state';
  const agent = await AgentProcess.start(cleanup, join(dir, 'third', 'amphorae'), pki);
  const client = controllerClient(pki, agent.url);
  cleanup.clients.add(client);
  await client.registerAmphora(id);
  const member = createServer((_req, res) => res.end('m1'));
  cleanup.servers.add(member);
  member.listen(0, '127.0.0.1');
  await once(member, 'listening');
  const layout = amphoraLayout(join(dir, 'third', 'amphorae'), id);
  // The administrative messages go through the log ring to the agent, as Fulcrum renders it.
  const ring = ['ring fulcrum_log', '  format rfc5424', '  maxlen 8192', '  size 65536', '  timeout connect 1s', '  timeout server 10s', `  server agent unix@${layout.logSocket}`];
  await client.putHaproxyConfig(
    id,
    haproxyConfig({
      baseDir: join(dir, 'third', 'amphorae'),
      amphoraId: id,
      frontendPort: await freePort(),
      servers: [{ name: 's1', port: (member.address() as AddressInfo).port, check: true }],
      extra: ['  log ring@fulcrum_log len 8192 local1 notice', ...ring].join('\n'),
    }),
  );
  const c = await collector();
  const settings = { key_id: 'agent-key-1', key: key.toString('base64'), targets: [{ host: '127.0.0.1', port: c.port }], interval_ms: 100 };
  await client.putHeartbeatSettings(settings);
  const server = (h: Heartbeat) => h.proxies.find((p) => p.p === 'be' && p.s === 's1')?.st;
  await until('a heartbeat with the server UP', 15_000, () => c.got.find((h) => server(h) === 'UP'));
  // Then an interval far longer than the test: only an unscheduled heartbeat can carry the change.
  await client.putHeartbeatSettings({ ...settings, interval_ms: 60_000 });
  await new Promise((r) => setTimeout(r, 300));
  const before = c.got.length;
  member.close();
  const down = await until('a heartbeat with the server DOWN', 20_000, () => c.got.slice(before).find((h) => server(h)?.startsWith('DOWN')));
  assert.equal(down.amphora_id, id);
});

test('bad heartbeat settings are refused with a 400', async () => {
  const agent = await AgentProcess.start(cleanup, join(dir, 'second', 'amphorae'), pki);
  const client = controllerClient(pki, agent.url);
  cleanup.clients.add(client);
  for (const bad of [
    { key_id: 'k', key: 'short', targets: [], interval_ms: 1000 },
    { key_id: 'a b', key: key.toString('base64'), targets: [], interval_ms: 1000 },
    { key_id: 'k', key: key.toString('base64'), targets: [{ host: '127.0.0.1', port: 0 }], interval_ms: 1000 },
    { key_id: 'k', key: key.toString('base64'), targets: [], interval_ms: 1 },
  ]) {
    const err = (await client.putHeartbeatSettings(bad as HeartbeatSettings).catch((e: unknown) => e)) as { agentStatus?: number };
    assert.equal(err.agentStatus, 400, JSON.stringify(bad));
  }
});
