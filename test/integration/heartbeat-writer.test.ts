// What a health manager's flush writes. Two heartbeats of one amphora between flushes, one with
// statistics (sent at once, a listener has just filled up) and the liveness-only one after it:
// statuses are judged by the statistics, not by the later heartbeat that has none; liveness is
// the later one's. Real health manager and database; the heartbeats are handed to it as its
// receiver would.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createFleet, RecordingAgents, startManager, type FleetMember } from '../helpers/heartbeat-fleet.ts';
import type { HealthManager } from '../../src/health/health-manager.ts';

let app: TestApp;
let fleet: FleetMember[];
let manager: HealthManager | null = null;

before(async () => {
  app = await startTestApp('pglite', { worker: true });
  fleet = await createFleet(app, 1);
});

after(async () => {
  await manager?.stop();
  await app?.close();
});

test('a flush judges statuses by the last statistics in its batch, and liveness by its last heartbeat', async () => {
  // No flush of its own: the test flushes.
  manager = await startManager(app, new RecordingAgents(), { flushMs: 3_600_000, autoFailover: false });
  const [{ amphoraId, listenerId }] = fleet;
  const ts = Date.now();
  manager.accept({ amphora_id: amphoraId, seq: 1, ts, haproxy: { running: true, epoch: 'w1' }, proxies: [{ p: listenerId, s: 'FRONTEND', st: 'FULL', c: [0, 0, 0, 0, 0] }] });
  manager.accept({ amphora_id: amphoraId, seq: 2, ts, haproxy: { running: true, epoch: null }, proxies: [] });
  await manager.flush();
  const listener = await app.request('GET', `/v2/lbaas/listeners/${listenerId}`);
  assert.equal(listener.body.listener.operating_status, 'DEGRADED', 'the full listener was judged from the first heartbeat');
  const health = await app.rt.database.db.selectFrom('amphora_health').select('last_seq').where('amphora_id', '=', amphoraId).executeTakeFirstOrThrow();
  assert.equal(Number(health.last_seq), 2, 'liveness is the later heartbeat’s');
});
