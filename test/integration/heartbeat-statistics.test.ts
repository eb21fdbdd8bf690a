// Listener statistics from heartbeats, on PostgreSQL: a health manager restart loses nothing
// and counts nothing twice (an old packet is refused after the restart too), a reload (new
// epoch) adds to the totals, and two managers receiving every heartbeat count it once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { AGENT_URL, createFleet, RecordingAgents, ScriptedSource, startManager, startSender, until, type FleetMember } from '../helpers/heartbeat-fleet.ts';
import { encodeHeartbeat } from '../../src/agent/heartbeat-codec.ts';
import type { HealthManager } from '../../src/health/health-manager.ts';
import type { HeartbeatSender } from '../../src/agent/heartbeat-sender.ts';
import { createSocket } from 'node:dgram';

let app: TestApp;
let fleet: FleetMember[];
const managers: HealthManager[] = [];
let sender: HeartbeatSender | null = null;

before(async () => {
  app = await startTestApp('postgres', { worker: true });
  fleet = await createFleet(app, 1);
});

after(async () => {
  await sender?.stop();
  for (const m of managers) await m.stop();
  await app?.close();
});

async function totals(): Promise<{ bytes_in: number; total_connections: number }> {
  const rows = await app.rt.database.db.selectFrom('listener_statistics').selectAll().where('listener_id', '=', fleet[0].listenerId).execute();
  return { bytes_in: rows.reduce((s, r) => s + Number(r.bytes_in), 0), total_connections: rows.reduce((s, r) => s + Number(r.total_connections), 0) };
}

const report = (source: ScriptedSource, epoch: string, n: number) =>
  source.counters.set(fleet[0].amphoraId, { epoch, listenerId: fleet[0].listenerId, counters: [n, n, 1, n, 0] });

async function reaches(n: number): Promise<void> {
  await until(`bytes_in to reach ${n}`, async () => (await totals()).bytes_in >= n);
  // A few more heartbeats of the same counters and flushes change nothing.
  await new Promise((r) => setTimeout(r, 400));
  assert.deepEqual(await totals(), { bytes_in: n, total_connections: n });
}

test('a restarted health manager goes on from the stored counters and refuses old packets', async () => {
  const agents = new RecordingAgents();
  const first = await startManager(app, agents, { autoFailover: false });
  managers.push(first);
  const source = new ScriptedSource(fleet);
  report(source, 'worker-1', 100);
  sender = startSender(agents, source);
  await reaches(100);

  // A copy of a heartbeat the first manager accepted (its sequence), replayed after the restart.
  const settings = agents.settings.get(AGENT_URL)!;
  const health = await app.rt.database.db.selectFrom('amphora_health').select('last_seq').where('amphora_id', '=', fleet[0].amphoraId).executeTakeFirstOrThrow();
  const captured = encodeHeartbeat(
    { amphora_id: fleet[0].amphoraId, seq: Number(health.last_seq), ts: Date.now(), haproxy: { running: true, epoch: 'worker-1' }, proxies: [] },
    settings.key_id,
    Buffer.from(settings.key, 'base64'),
  );

  await sender.stop();
  await first.stop();
  managers.pop();
  report(source, 'worker-1', 150);
  const second = await startManager(app, agents, { autoFailover: false });
  managers.push(second);
  sender = startSender(agents, source);
  await reaches(150);

  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.send(captured, second.port, '127.0.0.1', () => resolve()));
  await until('the replay to be refused', () => second.receiver.counters.replayed === 1, 5000);
  socket.close();

  // A reload: the new worker counts from zero; its traffic adds to the totals.
  report(source, 'worker-2', 30);
  await reaches(180);
  await sender.stop();
  sender = null;
  await second.stop();
  managers.pop();
});

test('two health managers receiving every heartbeat count it once', async () => {
  const agents = new RecordingAgents();
  const a = await startManager(app, agents, { autoFailover: false });
  const b = await startManager(app, agents, { autoFailover: false });
  managers.push(a, b);
  // The first manager learns of the second at its next sync: then the agent sends to both.
  await a.syncAgents();
  assert.equal(agents.settings.get(AGENT_URL)!.targets.length, 2);
  const start = (await totals()).bytes_in;
  const source = new ScriptedSource(fleet);
  sender = startSender(agents, source);
  let expected = start;
  for (const [epoch, values] of [
    ['worker-3', [10, 40, 90]],
    ['worker-4', [5, 25]],
  ] as const) {
    let last = 0;
    for (const n of values) {
      report(source, epoch, n);
      expected += n - last;
      last = n;
      await until(`both managers to take the counters (${epoch}=${n})`, async () => (await totals()).bytes_in >= expected);
    }
  }
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(a.receiver.counters.accepted > 0 && b.receiver.counters.accepted > 0, 'both managers received heartbeats');
  assert.deepEqual(await totals(), { bytes_in: expected, total_connections: expected });
});
