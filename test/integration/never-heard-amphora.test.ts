// An amphora whose host dies before its first heartbeat: while the host is ONLINE the amphora
// may still be starting and is left alone; once the host is OFFLINE it counts as silent since the
// host was last heard, and the health manager fails it over like the host's other amphorae.
// Real health manager and PostgreSQL; no agent answers for the host, so the manager's own host
// watch turns it OFFLINE; no worker runs, so the failover job stays queued to be read.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createFleet, RecordingAgents, startManager, TEST_SETTINGS, until, type FleetMember } from '../helpers/heartbeat-fleet.ts';
import { monitoredAmphorae } from '../../src/health/monitored-amphorae-store.ts';
import type { HealthManager } from '../../src/health/health-manager.ts';

let app: TestApp;
let fleet: FleetMember[];
let manager: HealthManager | undefined;
const hostId = randomUUID();

/** Agents that answer, except the dead host's. */
class DeadHostAgents extends RecordingAgents {
  override async ping(url?: string): Promise<boolean> {
    return !url?.includes('127.0.0.9');
  }
}

before(async () => {
  app = await startTestApp('postgres', { worker: true });
  fleet = await createFleet(app, 2);
  await app.setWorker(false);
  const db = app.rt.database.db;
  // An address no agent listens on: the host is heard of once, never again.
  await db.insertInto('host').values({ id: hostId, name: `dead-${hostId.slice(0, 8)}`, kind: 'joined', address: '127.0.0.9', port: 9, last_seen_at: new Date() }).execute();
  await db.updateTable('amphora').set({ host_id: hostId }).where('id', '=', fleet[0].amphoraId).execute();
});

after(async () => {
  await manager?.stop();
  await app?.close();
});

test('a never-heard amphora is judged only once its host is OFFLINE, as silent since the host was', async () => {
  const db = app.rt.database.db;
  assert.deepEqual(await monitoredAmphorae(db, TEST_SETTINGS.timeoutMs), [], 'an ONLINE host: still starting');
  const lastSeen = new Date(Date.now() - 60_000);
  await db.updateTable('host').set({ operating_status: 'OFFLINE', last_seen_at: lastSeen }).where('id', '=', hostId).execute();
  const rows = await monitoredAmphorae(db, TEST_SETTINGS.timeoutMs);
  // The other amphora has no host to vouch for its death: not judged.
  assert.deepEqual(
    rows.map((r) => ({ id: r.id, silent: r.silent, never_heard: r.never_heard, last_seen: r.last_seen.getTime() })),
    [{ id: fleet[0].amphoraId, silent: true, never_heard: true, last_seen: lastSeen.getTime() }],
  );
  await db.updateTable('host').set({ operating_status: 'ONLINE', last_seen_at: new Date() }).where('id', '=', hostId).execute();
});

test('the host goes OFFLINE and its never-heard amphora is failed over; the one without a host is not', async () => {
  manager = await startManager(app, new DeadHostAgents(), { breaker: { fleet: null, az: null, host: null, minSilent: 1 }, hostGraceMs: 500 });
  const db = app.rt.database.db;
  const jobs = () => db.selectFrom('job').select('dedupe_key').where('dedupe_key', 'like', 'failover:%').execute();
  await until('the failover of the dead host\'s amphora', async () => (await jobs()).length > 0, 20_000);
  assert.equal((await db.selectFrom('host').select('operating_status').where('id', '=', hostId).executeTakeFirstOrThrow()).operating_status, 'OFFLINE');
  assert.deepEqual((await jobs()).map((j) => j.dedupe_key), [`failover:${fleet[0].amphoraId}`]);
  const amphora = await db.selectFrom('amphora').select('fault').where('id', '=', fleet[0].amphoraId).executeTakeFirstOrThrow();
  assert.match(amphora.fault ?? '', /never heard from, and its host is OFFLINE/);
});
