// Reads on the embedded database reuse serialized objects while nothing was written
// (src/api/read-cache.ts): every write — through the API, by the flow worker, straight into the
// database, even one rolled back — must show in the next read, and a cached object is still
// authorized per caller.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { startTestApp, SUBNET, type TestApp } from '../helpers/app.ts';
import { createApiKey } from '../../src/auth/apikey-store.ts';

describe('read cache on the embedded database', () => {
  let app: TestApp;
  let keyP: string;
  let keyQ: string;
  let lb: string;
  const as = (key: string, method: string, path: string, body?: unknown) => app.request(method, path, body, { 'x-auth-token': key });
  const version = () => app.rt.database.dataVersion!();

  before(async () => {
    app = await startTestApp('pglite', { config: { authStrategy: 'apikey' } });
    keyP = (await createApiKey(app.rt.database.db, { projectId: 'project-p', roles: ['load-balancer_member'], name: 'p' })).key;
    keyQ = (await createApiKey(app.rt.database.db, { projectId: 'project-q', roles: ['load-balancer_member'], name: 'q' })).key;
    const res = await as(keyP, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, name: 'first' } });
    assert.equal(res.status, 201);
    lb = res.body.loadbalancer.id;
    for (let i = 0; (await as(keyP, 'GET', `/v2/lbaas/loadbalancers/${lb}`)).body.loadbalancer.provisioning_status !== 'ACTIVE'; i++) {
      assert.ok(i < 500, 'the load balancer becomes ACTIVE');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  after(async () => {
    await app?.close();
  });

  it('has a data version that moves on writes only', async () => {
    assert.equal(typeof version(), 'number');
    const v0 = version();
    await as(keyP, 'GET', `/v2/lbaas/loadbalancers/${lb}`);
    await as(keyP, 'GET', '/v2/lbaas/loadbalancers');
    await app.rt.database.db.updateTable('load_balancer').set({ description: 'x' }).where('id', '=', '00000000-0000-0000-0000-000000000000').execute();
    assert.equal(version(), v0, 'reads and an update of no row change nothing');
    await app.rt.database.db.updateTable('load_balancer').set({ description: 'direct' }).where('id', '=', lb).execute();
    assert.ok(version() > v0);
  });

  it('shows every write at once: API, worker, database, rollback', async () => {
    const show = async () => (await as(keyP, 'GET', `/v2/lbaas/loadbalancers/${lb}`)).body.loadbalancer;
    const list = async () => (await as(keyP, 'GET', '/v2/lbaas/loadbalancers')).body.loadbalancers;
    assert.equal((await show()).description, 'direct', 'a write straight into the database');
    assert.equal((await list())[0].description, 'direct');

    const put = await as(keyP, 'PUT', `/v2/lbaas/loadbalancers/${lb}`, { loadbalancer: { name: 'second' } });
    assert.equal(put.status, 200);
    assert.equal((await show()).name, 'second');
    assert.equal((await list())[0].name, 'second');
    // The worker finishes the update: its status write shows in the next read.
    for (let i = 0; (await show()).provisioning_status !== 'ACTIVE'; i++) {
      assert.ok(i < 500, 'the worker made it ACTIVE');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await list())[0].provisioning_status, 'ACTIVE');

    await assert.rejects(
      app.rt.database.db.transaction().execute(async (trx) => {
        await trx.updateTable('load_balancer').set({ name: 'rolled-back' }).where('id', '=', lb).execute();
        await sql`select 1/0`.execute(trx);
      }),
    );
    assert.equal((await show()).name, 'second', 'a rolled-back write is not served');

    const created = await as(keyP, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, name: 'third' } });
    assert.equal(created.status, 201);
    assert.deepEqual((await list()).map((l: { name: string }) => l.name).sort(), ['second', 'third']);
  });

  it("judges every caller on a cached object: another project's key gets 403, not the cached answer", async () => {
    const path = `/v2/lbaas/loadbalancers/${lb}`;
    // Each key's first use is recorded (a write); after that, reads write nothing.
    await as(keyQ, 'GET', '/v2/lbaas/providers');
    assert.equal((await as(keyP, 'GET', path)).status, 200);
    const v = version();
    const other = await as(keyQ, 'GET', path);
    assert.equal(other.status, 403);
    assert.deepEqual((await as(keyQ, 'GET', '/v2/lbaas/loadbalancers')).body.loadbalancers, [], "the list is narrowed to Q's project");
    assert.equal(version(), v, 'answered without a write in between');
    assert.equal((await as(keyP, 'GET', `${path}?fields=name`)).body.loadbalancer.name, 'second');
    assert.deepEqual(Object.keys((await as(keyP, 'GET', `${path}?fields=name`)).body.loadbalancer), ['name']);
  });
});
