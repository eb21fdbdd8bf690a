// A health manager on a real UDP socket drops forged, replayed, truncated, oversized, foreign
// and flooded datagrams, counts each by reason, and keeps accepting the genuine heartbeats.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { AGENT_URL, createFleet, RecordingAgents, startManager, until, type FleetMember } from '../helpers/heartbeat-fleet.ts';
import { encodeHeartbeat, MAX_PACKET_BYTES, type Heartbeat } from '../../src/agent/heartbeat-codec.ts';
import type { HealthManager } from '../../src/health/health-manager.ts';

let app: TestApp;
let manager: HealthManager;
let fleet: FleetMember[];
let key: Buffer;
let keyId: string;
const socket = createSocket('udp4');
let seq = Date.now() * 1000;

before(async () => {
  app = await startTestApp('pglite', { worker: true });
  fleet = await createFleet(app, 2);
  const agents = new RecordingAgents();
  // No failovers here: the amphorae are silent between the packets this test sends.
  manager = await startManager(app, agents, { autoFailover: false });
  const settings = agents.settings.get(AGENT_URL)!;
  key = Buffer.from(settings.key, 'base64');
  keyId = settings.key_id;
});

after(async () => {
  socket.close();
  await manager?.stop();
  await app?.close();
});

const heartbeat = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  amphora_id: fleet[0].amphoraId,
  seq: ++seq,
  ts: Date.now(),
  haproxy: { running: true, epoch: 'e1' },
  proxies: [],
  ...over,
});

function send(packet: Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.send(packet, manager.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
}

async function sendAndCount(packets: Buffer[]): Promise<void> {
  const before = manager.receiver.counters.received;
  for (const p of packets) await send(p);
  await until('the datagrams to be handled', () => manager.receiver.counters.received >= before + packets.length, 10_000);
}

test('a genuine heartbeat is accepted and marks the amphora seen', async () => {
  await sendAndCount([encodeHeartbeat(heartbeat(), keyId, key)]);
  assert.equal(manager.receiver.counters.accepted, 1);
  await manager.flush();
  const row = await app.rt.database.db.selectFrom('amphora_health').selectAll().where('amphora_id', '=', fleet[0].amphoraId).executeTakeFirst();
  assert.equal(Number(row?.last_seq), seq);
});

test('forged, replayed, truncated, oversized, stale and foreign datagrams are dropped and counted', async () => {
  const c = manager.receiver.counters;
  const accepted = c.accepted;
  const genuine = encodeHeartbeat(heartbeat(), keyId, key);
  await sendAndCount([genuine]);
  assert.equal(c.accepted, accepted + 1);
  await sendAndCount([
    genuine, // replayed
    encodeHeartbeat(heartbeat({ seq: seq - 100 }), keyId, key), // an older sequence
    encodeHeartbeat(heartbeat(), keyId, randomBytes(32)), // forged: another key
    encodeHeartbeat(heartbeat(), 'unknownkey', key), // a key nobody issued
    encodeHeartbeat(heartbeat({ amphora_id: '00000000-0000-4000-8000-000000000000' }), keyId, key), // an amphora this agent does not run
    encodeHeartbeat(heartbeat({ ts: Date.now() - 60_000 }), keyId, key), // stale
    genuine.subarray(0, 20), // truncated
    Buffer.alloc(MAX_PACKET_BYTES + 100, 1), // oversized
    Buffer.from('hello'), // foreign
  ]);
  assert.deepEqual(
    { replayed: c.replayed, bad_mac: c.bad_mac, unknown_key: c.unknown_key, wrong_agent: c.wrong_agent, stale: c.stale, truncated: c.truncated, oversized: c.oversized, bad_magic: c.bad_magic },
    { replayed: 2, bad_mac: 1, unknown_key: 1, wrong_agent: 1, stale: 1, truncated: 1, oversized: 1, bad_magic: 1 },
  );
  assert.equal(c.accepted, accepted + 1);
  // Still serving: the next genuine heartbeat gets in.
  await sendAndCount([encodeHeartbeat(heartbeat(), keyId, key)]);
  assert.equal(c.accepted, accepted + 2);
});

test("operators see each manager's counts in the management API", async () => {
  await manager.syncAgents();
  const res = await app.request('GET', '/v2/fulcrum/health/managers');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const mine = res.body.health_managers.find((m: any) => m.id === manager.id);
  assert.equal(mine.address, `127.0.0.1:${manager.port}`);
  assert.deepEqual(
    { accepted: mine.heartbeats.accepted, bad_mac: mine.heartbeats.bad_mac, replayed: mine.heartbeats.replayed, oversized: mine.heartbeats.oversized },
    { accepted: manager.receiver.counters.accepted, bad_mac: 1, replayed: 2, oversized: 1 },
  );
});

test('a flood from one amphora is rate-limited and every datagram is accounted for', async () => {
  const c = manager.receiver.counters;
  const receivedBefore = c.received;
  const acceptedBefore = c.accepted;
  const limitedBefore = c.rate_limited;
  const FLOOD = 2000;
  for (let i = 0; i < FLOOD; i++) await send(encodeHeartbeat(heartbeat({ amphora_id: fleet[1].amphoraId }), keyId, key));
  // The kernel may drop part of a burst; what arrives is all counted.
  await new Promise((r) => setTimeout(r, 500));
  const received = c.received - receivedBefore;
  assert.ok(received > 0);
  const accepted = c.accepted - acceptedBefore;
  const limited = c.rate_limited - limitedBefore;
  assert.equal(accepted + limited, received);
  assert.ok(limited > 0, `${limited} rate-limited of ${received}`);
  // TEST_SETTINGS send every 100 ms: at most 30 a second are accepted, in at most a few seconds.
  assert.ok(accepted <= 30 * 3, `${accepted} accepted`);
});
