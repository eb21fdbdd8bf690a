// host.online / host.offline: the health managers' host monitor records an event with each
// change of a host's liveness, in the transaction that commits it. Two monitors probe at once on
// PostgreSQL, as two `fulcrum health-manager` processes do: each change is one event, never two,
// and a host that stays silent or keeps answering records nothing more. The host's agent is a
// stand-in here (a scripted answer to the monitors' ping); real agents, processes and a killed
// host are in test/e2e/production-shape.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { openTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { HostMonitor } from '../../src/health/host-monitor.ts';
import { createLogger } from '../../src/observability/logger.ts';

const TIMEOUT_MS = 300;

let tdb: TestDatabase;
const hostId = randomUUID();
/** The stand-in agent's answer. */
let answering = true;
let monitors: HostMonitor[];

before(async () => {
  tdb = await openTestDatabase('postgres');
  await tdb.database.db
    .insertInto('host')
    .values({ id: hostId, name: 'h-events', kind: 'joined', address: '127.0.0.1', port: 1, last_seen_at: sql<Date>`now()` })
    .execute();
  monitors = [0, 1].map(
    () =>
      new HostMonitor({
        db: tdb.database.db,
        log: createLogger('silent'),
        ping: async () => answering,
        timeoutMs: TIMEOUT_MS,
        maxConcurrentFailovers: 4,
        jobMaxAttempts: 3,
      }),
  );
});

after(async () => {
  await tdb?.close();
});

const events = async (type: string) =>
  tdb.database.db.selectFrom('event').select(['type', 'severity', 'project_id', 'load_balancer_id', 'detail']).where('type', '=', type).orderBy('created_at').execute();
const status = async () => (await tdb.database.db.selectFrom('host').select('operating_status').where('id', '=', hostId).executeTakeFirstOrThrow()).operating_status;

/** Both managers probe at once, `rounds` times. */
async function probeTogether(rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.all(monitors.map((m) => m.probe()));
}

test('a host that keeps answering records no event', async () => {
  await probeTogether(3);
  assert.equal(await status(), 'ONLINE');
  assert.deepEqual(await events('host.offline'), []);
  assert.deepEqual(await events('host.online'), []);
});

test('each change of liveness is one event, however many managers see it', async () => {
  for (let cycle = 1; cycle <= 3; cycle++) {
    answering = false;
    await sleep(TIMEOUT_MS + 100);
    await probeTogether(4);
    assert.equal(await status(), 'OFFLINE');
    assert.equal((await events('host.offline')).length, cycle, `cycle ${cycle}: one host.offline per change`);
    answering = true;
    await probeTogether(4);
    assert.equal(await status(), 'ONLINE');
    assert.equal((await events('host.online')).length, cycle, `cycle ${cycle}: one host.online per change`);
  }
  const [offline] = await events('host.offline');
  assert.equal(offline.severity, 'error');
  assert.equal(offline.project_id, null, 'a control-plane event: administrators only');
  assert.equal(offline.load_balancer_id, null);
  const detail = typeof offline.detail === 'string' ? JSON.parse(offline.detail) : offline.detail;
  assert.equal(detail.host_id, hostId);
  assert.equal(detail.name, 'h-events');
  assert.equal(detail.timeout_ms, TIMEOUT_MS);
  assert.equal(detail.amphora_count, 0);
  const [online] = await events('host.online');
  assert.equal(online.severity, 'info');
});
