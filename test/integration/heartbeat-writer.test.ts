// What a health manager's flush writes. Two heartbeats of one amphora between flushes, one with
// statistics (sent at once, a listener has just filled up) and the liveness-only one after it:
// statuses are judged by the statistics, not by the later heartbeat that has none. A healthy
// amphora saying the same again is written only every half timeout; a change at once. Real
// health manager and database; the heartbeats are handed to it as its receiver would.
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

test('a flush judges statuses by the last statistics in its batch, and writes an unchanged healthy amphora only every half timeout', async () => {
  // No flush of its own: the test flushes.
  manager = await startManager(app, new RecordingAgents(), { flushMs: 3_600_000, timeoutMs: 60_000, autoFailover: false });
  const [{ amphoraId, listenerId }] = fleet;
  const ts = Date.now();
  manager.accept({ amphora_id: amphoraId, seq: 1, ts, haproxy: { running: true, epoch: 'w1' }, proxies: [{ p: listenerId, s: 'FRONTEND', st: 'FULL', c: [0, 0, 0, 0, 0] }] });
  manager.accept({ amphora_id: amphoraId, seq: 2, ts, haproxy: { running: true, epoch: null }, proxies: [] });
  await manager.flush();
  const listener = await app.request('GET', `/v2/lbaas/listeners/${listenerId}`);
  assert.equal(listener.body.listener.operating_status, 'DEGRADED', 'the full listener was judged from the first heartbeat');
  const lastSeq = async () => Number((await app.rt.database.db.selectFrom('amphora_health').select('last_seq').where('amphora_id', '=', amphoraId).executeTakeFirstOrThrow()).last_seq);
  assert.equal(await lastSeq(), 2, 'liveness is the later heartbeat’s');

  // The same again, well within half the timeout: nothing to write.
  manager.accept({ amphora_id: amphoraId, seq: 3, ts, haproxy: { running: true, epoch: null }, proxies: [] });
  await manager.flush();
  assert.equal(await lastSeq(), 2, 'an unchanged healthy amphora is not written again so soon');
  // Trouble is written at once.
  manager.accept({ amphora_id: amphoraId, seq: 4, ts, haproxy: { running: false, epoch: null }, proxies: [] });
  await manager.flush();
  assert.equal(await lastSeq(), 4, 'a HAProxy that stopped running is written at once');
});
