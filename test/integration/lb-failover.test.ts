// `PUT /v2/lbaas/loadbalancers/{id}/failover` (docs/octavia-compatibility.md §5.1, §4.2) on both back ends, with the
// noop provider: 202 without a body, the LB PENDING_UPDATE in the API transaction, allowed from
// ACTIVE and ERROR only, settled ACTIVE by the provider's flow.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BACKENDS } from '../helpers/db.ts';
import { createActiveLoadBalancer, startTestApp, type TestApp } from '../helpers/app.ts';

const LBS = '/v2/lbaas/loadbalancers';

for (const backend of BACKENDS) {
  describe(`load balancer failover (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend);
    });
    after(async () => app?.close());

    const setStatus = (id: string, status: string) =>
      app.rt.database.db.updateTable('load_balancer').set({ provisioning_status: status, fault: status === 'ERROR' ? 'boot failed' : null }).where('id', '=', id).execute();

    test('202 without a body; PENDING_UPDATE until the flow settles it ACTIVE; a second failover meanwhile is 409', async () => {
      const lb = await createActiveLoadBalancer(app);
      await app.setWorker(false);
      try {
        const res = await app.request('PUT', `${LBS}/${lb.id}/failover`);
        assert.equal(res.status, 202);
        assert.equal(res.body, null);
        assert.equal((await app.request('GET', `${LBS}/${lb.id}`)).body.loadbalancer.provisioning_status, 'PENDING_UPDATE');
        const again = await app.request('PUT', `${LBS}/${lb.id}/failover`);
        assert.equal(again.status, 409);
        assert.equal(again.body.faultstring, `Invalid state PENDING_UPDATE of loadbalancer resource ${lb.id}`);
        const update = await app.request('PUT', `${LBS}/${lb.id}`, { loadbalancer: { name: 'x' } });
        assert.equal(update.status, 409, 'the LB is locked for every other writer');
      } finally {
        await app.setWorker(true);
      }
      const settled = await app.waitFor(`${LBS}/${lb.id}`, 'loadbalancer', ['ACTIVE', 'ERROR']);
      assert.equal(settled.provisioning_status, 'ACTIVE');
      // The flow's last step settles the LB; the job is marked finished just after, in its own write.
      const lastJob = () => app.rt.database.db.selectFrom('job').select(['state', 'payload']).where('load_balancer_id', '=', lb.id).orderBy('id', 'desc').executeTakeFirstOrThrow();
      let job = await lastJob();
      for (let polls = 0; job.state === 'running' && polls < 200; polls++) {
        await new Promise((r) => setTimeout(r, 25));
        job = await lastJob();
      }
      assert.equal(job.state, 'succeeded');
      assert.equal((job.payload as any).action, 'failover');
      assert.equal((job.payload as any).amphoraId, undefined, 'an LB failover replaces every amphora');
    });

    test('an LB in ERROR can be failed over (that is how it is repaired); the fault is cleared', async () => {
      const lb = await createActiveLoadBalancer(app);
      await setStatus(lb.id, 'ERROR');
      const res = await app.request('PUT', `${LBS}/${lb.id}/failover`);
      assert.equal(res.status, 202);
      assert.equal((await app.waitFor(`${LBS}/${lb.id}`, 'loadbalancer', ['ACTIVE'])).provisioning_status, 'ACTIVE');
      const row = await app.rt.database.db.selectFrom('load_balancer').select('fault').where('id', '=', lb.id).executeTakeFirstOrThrow();
      assert.equal(row.fault, null);
    });

    test('409 from PENDING_* states, 404 for a missing or deleted LB', async () => {
      const lb = await createActiveLoadBalancer(app);
      for (const status of ['PENDING_UPDATE', 'PENDING_CREATE', 'PENDING_DELETE']) {
        await setStatus(lb.id, status);
        const res = await app.request('PUT', `${LBS}/${lb.id}/failover`);
        assert.equal(res.status, 409, status);
        assert.equal(res.body.faultstring, `Invalid state ${status} of loadbalancer resource ${lb.id}`);
      }
      await setStatus(lb.id, 'DELETED');
      const gone = await app.request('PUT', `${LBS}/${lb.id}/failover`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.faultstring, `Load Balancer ${lb.id} not found.`);
      const missing = randomUUID();
      assert.equal((await app.request('PUT', `${LBS}/${missing}/failover`)).body.faultstring, `Load Balancer ${missing} not found.`);
      assert.equal((await app.request('POST', `${LBS}/${missing}/failover`)).status, 405);
    });
  });
}
