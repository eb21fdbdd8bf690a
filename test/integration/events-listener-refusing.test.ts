// A listener refusing clients at a high rate, seen through real signed heartbeats by two health
// managers on PostgreSQL: one listener.refusing event with its ids and rate while the refusal
// counters climb fast, one listener.refusing_stopped when they stop, whichever manager saw it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createFleet, RecordingAgents, ScriptedSource, startManager, startSender, until, type FleetMember } from '../helpers/heartbeat-fleet.ts';
import type { HealthManager } from '../../src/health/health-manager.ts';
import type { HeartbeatSender } from '../../src/agent/heartbeat-sender.ts';

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

const refusalEvents = () =>
  app.rt.database.db
    .selectFrom('event')
    .selectAll()
    .where('type', 'in', ['listener.refusing', 'listener.refusing_stopped'])
    .where('load_balancer_id', '=', fleet[0].loadBalancerId)
    .orderBy('created_at')
    .execute();

test('a listener refusing at a high rate is one event, and its calming another, across two managers', async () => {
  const agents = new RecordingAgents();
  managers.push(await startManager(app, agents, { autoFailover: false }), await startManager(app, agents, { autoFailover: false }));
  await managers[0].syncAgents();
  assert.equal(agents.settings.get('https://agent-under-test.invalid:9443')!.targets.length, 2);
  const source = new ScriptedSource(fleet);
  const { amphoraId, listenerId, loadBalancerId } = fleet[0];
  let refused = 0;
  const report = () => source.counters.set(amphoraId, { epoch: 'worker-1', listenerId, counters: [1000, 1000, 3, 50, 0, refused, refused] });
  report();
  sender = startSender(agents, source);

  // About 8000 refusals a second (the threshold is 50) for at most 10 s, until the event is there.
  for (let i = 0; i < 200 && (await refusalEvents()).length === 0; i++) {
    refused += 200;
    report();
    await new Promise((r) => setTimeout(r, 50));
  }
  let events = await refusalEvents();
  assert.equal(events.length, 1, 'the refusals were noticed');
  const [started] = events;
  assert.equal(started.type, 'listener.refusing');
  assert.equal(started.severity, 'warning');
  assert.equal(started.project_id, (await app.rt.database.db.selectFrom('listener').select('project_id').where('id', '=', listenerId).executeTakeFirstOrThrow()).project_id);
  const detail = started.detail as Record<string, unknown>;
  assert.equal(detail.listener_id, listenerId);
  assert.equal(detail.loadbalancer_id, loadBalancerId);
  assert.equal(detail.amphora_id, amphoraId);
  assert.ok(Number(detail.refused_per_second) >= 50, `rate ${detail.refused_per_second}`);

  // The counters stand still: both managers see the calm; one event says so.
  await until('the stopped event', async () => (await refusalEvents()).length >= 2, 10_000);
  await new Promise((r) => setTimeout(r, 600));
  events = await refusalEvents();
  assert.deepEqual(
    events.map((e) => e.type),
    ['listener.refusing', 'listener.refusing_stopped'],
  );
  assert.ok(managers.every((m) => m.receiver.counters.accepted > 0), 'both managers received heartbeats');
});
