// The LISTEN connection workers are woken through survives PostgreSQL dropping it: killed from
// the server's side (pg_terminate_backend), it is re-established with LISTEN issued again, the
// loss and the recovery are logged, and a new job wakes an idle worker by NOTIFY once more.
// The worker polls only every minute here, so a job finished sooner was woken by NOTIFY.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { sql } from 'kysely';
import { POSTGRES_ADMIN_URL, createPostgresDatabase } from '../helpers/db.ts';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { reconnectDelay } from '../../src/db/pg-listener.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server pids of connections LISTENing on `channel` in database `name`. */
async function listeners(admin: pg.Client, name: string): Promise<number[]> {
  const res = await admin.query("select pid from pg_stat_activity where datname = $1 and query ilike 'listen %'", [name]);
  return res.rows.map((r) => r.pid as number);
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('reconnect delays double from the minimum, stay under the cap, and jitter within half', () => {
  const mid = () => 1;
  assert.deepEqual([0, 1, 2, 3, 10].map((a) => reconnectDelay(a, 100, 1000, mid)), [100, 200, 400, 800, 1000]);
  assert.equal(reconnectDelay(0, 100, 1000, () => 0), 50);
  assert.equal(reconnectDelay(1000, 100, 1000, mid), 1000);
});

describe('a LISTEN connection terminated by PostgreSQL', () => {
  let admin: pg.Client;
  before(async () => {
    admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
  });
  after(async () => admin?.end());

  test('is re-established, logged, and delivers notifications again', async () => {
    const { url, drop } = await createPostgresDatabase();
    const name = url.slice(url.lastIndexOf('/') + 1);
    const logged: string[] = [];
    const log = { warn: (_o: object, msg: string) => void logged.push(msg), info: (_o: object, msg: string) => void logged.push(msg) };
    let database: Database | null = null;
    try {
      database = await openDatabase(url, { migrate: false, log });
      const payloads: string[] = [];
      const unlisten = await database.listen('fulcrum_reconnect_test', (p) => payloads.push(p));
      const [first] = await until('the LISTEN connection', async () => (await listeners(admin, name)).length === 1 && listeners(admin, name));
      await admin.query('select pg_terminate_backend($1)', [first]);
      const [second] = await until('a new LISTEN connection', async () => {
        const pids = await listeners(admin, name);
        return pids.length === 1 && pids[0] !== first && pids;
      });
      assert.notEqual(second, first);
      await until('the recovery to be logged', async () => logged.includes('database LISTEN connection re-established'));
      assert.ok(logged.includes('database LISTEN connection lost; reconnecting'), logged.join('; '));
      assert.ok(payloads.includes(''), 'the caller is told to recheck after a reconnect');
      await sql`select pg_notify('fulcrum_reconnect_test', 'after')`.execute(database.db);
      await until('the notification', async () => payloads.includes('after'));
      await unlisten();
      await until('the LISTEN connection to close', async () => (await listeners(admin, name)).length === 0);
    } finally {
      await database?.close();
      await drop();
    }
  });

  describe('under a worker', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp('postgres', { config: { jobPollMs: 60_000 } });
    });
    after(async () => app?.close());

    const createAndWait = async () => {
      const res = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
      assert.equal(res.status, 201);
      return app.waitFor(`/v2/lbaas/loadbalancers/${res.body.loadbalancer.id}`, 'loadbalancer', ['ACTIVE'], 20_000);
    };

    test('a job wakes the idle worker by NOTIFY before and after the connection is killed', async () => {
      const name = app.url!.slice(app.url!.lastIndexOf('/') + 1);
      await createAndWait();
      const [first] = await until('the worker LISTEN connection', async () => (await listeners(admin, name)).length === 1 && listeners(admin, name));
      const res = await admin.query('select pg_terminate_backend($1)', [first]);
      assert.equal(res.rows[0].pg_terminate_backend, true);
      await until('a new LISTEN connection', async () => {
        const pids = await listeners(admin, name);
        return pids.length === 1 && pids[0] !== first;
      });
      // Let the wake-up that follows the reconnect pass, so the next job has only NOTIFY to wake it.
      await sleep(500);
      const lb = await createAndWait();
      assert.equal(lb.provisioning_status, 'ACTIVE');
    });
  });
});
