// The operator amphora API (docs/octavia-compatibility.md §5.13) on both back ends: list (filters, project_id through
// the LB, sorting, pagination, fields; DELETED hidden), show, stats, failover (locks the LB like
// an LB failover, 409 unless ACTIVE), config push (a job of its own) and delete (ERROR only).
// The noop provider places no amphorae, so the rows are written here as a driver would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BACKENDS } from '../helpers/db.ts';
import { createActiveLoadBalancer, startTestApp, type TestApp } from '../helpers/app.ts';

const AMPHORAE = '/v2/octavia/amphorae';
const FIELDS = [
  'cached_zone', 'cert_busy', 'cert_expiration', 'compute_flavor', 'compute_id', 'created_at', 'ha_ip', 'ha_port_id', 'id',
  'image_id', 'lb_network_ip', 'loadbalancer_id', 'role', 'status', 'updated_at', 'vrrp_id', 'vrrp_interface', 'vrrp_ip',
  'vrrp_port_id', 'vrrp_priority',
];

for (const backend of BACKENDS) {
  describe(`operator amphora API (${backend})`, () => {
    let app: TestApp;
    let lb: any;
    let otherLb: any;
    const ids = { serving: '', broken: '', gone: '', other: '' };

    async function insertAmphora(loadBalancerId: string | null, status: string, extra: Record<string, unknown> = {}): Promise<string> {
      const id = randomUUID();
      await app.rt.database.db
        .insertInto('amphora')
        .values({ id, load_balancer_id: loadBalancerId, status, role: 'STANDALONE', compute_driver: 'process', ha_ip: '198.18.0.9', lb_network_ip: '127.0.0.1', ...extra })
        .execute();
      return id;
    }
    const lbStatus = async (id: string) => (await app.request('GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer.provisioning_status;

    before(async () => {
      app = await startTestApp(backend);
      lb = await createActiveLoadBalancer(app);
      otherLb = await createActiveLoadBalancer(app, { project_id: 'project-b' });
      ids.serving = await insertAmphora(lb.id, 'ALLOCATED', { cert_busy: false, vrrp_priority: 100 });
      ids.broken = await insertAmphora(lb.id, 'ERROR');
      ids.gone = await insertAmphora(lb.id, 'DELETED');
      ids.other = await insertAmphora(otherLb.id, 'ALLOCATED', { role: 'MASTER' });
    });
    after(async () => app?.close());

    test('list shows every live amphora with the §5.13 fields; DELETED ones are hidden', async () => {
      const res = await app.request('GET', AMPHORAE);
      assert.equal(res.status, 200);
      const listed = res.body.amphorae.map((a: any) => a.id).sort();
      assert.deepEqual(listed, [ids.serving, ids.broken, ids.other].sort());
      assert.deepEqual(res.body.amphorae_links, []);
      const serving = res.body.amphorae.find((a: any) => a.id === ids.serving);
      assert.deepEqual(Object.keys(serving).sort(), FIELDS);
      assert.equal(serving.loadbalancer_id, lb.id);
      assert.equal(serving.cert_busy, false);
      assert.equal(serving.role, 'STANDALONE');
      assert.equal(serving.status, 'ALLOCATED');
      assert.equal(serving.vrrp_priority, 100);
      assert.match(serving.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/);
    });

    test('list filters, project_id through the load balancer, sorting, pagination and fields', async () => {
      const ofLb = await app.request('GET', `${AMPHORAE}?loadbalancer_id=${lb.id}`);
      assert.deepEqual(ofLb.body.amphorae.map((a: any) => a.id).sort(), [ids.serving, ids.broken].sort());
      assert.deepEqual((await app.request('GET', `${AMPHORAE}?status=ERROR`)).body.amphorae.map((a: any) => a.id), [ids.broken]);
      assert.deepEqual((await app.request('GET', `${AMPHORAE}?role=MASTER`)).body.amphorae.map((a: any) => a.id), [ids.other]);
      assert.deepEqual((await app.request('GET', `${AMPHORAE}?project_id=project-b`)).body.amphorae.map((a: any) => a.id), [ids.other]);
      assert.deepEqual((await app.request('GET', `${AMPHORAE}?status=DELETED`)).body.amphorae, []);
      assert.equal((await app.request('GET', `${AMPHORAE}?cert_busy=true`)).body.amphorae.length, 0);
      assert.equal((await app.request('GET', `${AMPHORAE}?cert_busy=false&loadbalancer_id=${lb.id}`)).body.amphorae.length, 2);

      const bogus = await app.request('GET', `${AMPHORAE}?colour=red`);
      assert.equal(bogus.status, 400);
      assert.equal(bogus.body.faultstring, 'One or more arguments are either duplicate or invalid');

      const sorted = await app.request('GET', `${AMPHORAE}?loadbalancer_id=${lb.id}&sort=status:desc`);
      assert.deepEqual(sorted.body.amphorae.map((a: any) => a.status), ['ERROR', 'ALLOCATED']);

      const page1 = await app.request('GET', `${AMPHORAE}?limit=2&sort=id:asc`);
      assert.equal(page1.body.amphorae.length, 2);
      const next = page1.body.amphorae_links.find((l: any) => l.rel === 'next');
      assert.ok(next, 'a full page links to the next one');
      const page2 = await app.request('GET', new URL(next.href).pathname + new URL(next.href).search);
      assert.equal(page2.body.amphorae.length, 1);
      const all = [...page1.body.amphorae, ...page2.body.amphorae].map((a: any) => a.id);
      assert.deepEqual(all, [ids.serving, ids.broken, ids.other].sort());

      const fields = await app.request('GET', `${AMPHORAE}?fields=id&fields=status&status=ERROR`);
      assert.deepEqual(fields.body.amphorae, [{ id: ids.broken, status: 'ERROR' }]);
    });

    test('show: the amphora, field selection, 404 for DELETED, unknown and malformed ids', async () => {
      const res = await app.request('GET', `${AMPHORAE}/${ids.serving}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.amphora.id, ids.serving);
      assert.deepEqual(Object.keys(res.body.amphora).sort(), FIELDS);
      assert.deepEqual((await app.request('GET', `${AMPHORAE}/${ids.serving}?fields=role`)).body.amphora, { role: 'STANDALONE' });
      for (const id of [ids.gone, randomUUID(), 'not-a-uuid']) {
        const missing = await app.request('GET', `${AMPHORAE}/${id}`);
        assert.equal(missing.status, 404);
        assert.equal(missing.body.faultstring, `Amphora ${id} not found.`);
      }
    });

    test('stats: one entry per listener from the stored statistics, 404 when there are none', async () => {
      const none = await app.request('GET', `${AMPHORAE}/${ids.serving}/stats`);
      assert.equal(none.status, 404);
      assert.equal(none.body.faultstring, `Amphora stats for ${ids.serving} not found.`);

      const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } });
      assert.equal(listener.status, 201);
      await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', ['ACTIVE']);
      const listenerId = listener.body.listener.id;
      await app.rt.database.db
        .insertInto('listener_statistics')
        .values({ listener_id: listenerId, amphora_id: ids.serving, load_balancer_id: lb.id, bytes_in: 100, bytes_out: 2000, active_connections: 3, total_connections: 40, request_errors: 5 })
        .execute();
      const res = await app.request('GET', `${AMPHORAE}/${ids.serving}/stats`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        amphora_stats: [
          { id: ids.serving, listener_id: listenerId, loadbalancer_id: lb.id, active_connections: 3, bytes_in: 100, bytes_out: 2000, request_errors: 5, total_connections: 40 },
        ],
      });
      assert.equal((await app.request('GET', `${AMPHORAE}/${ids.gone}/stats`)).status, 404);
    });

    test('failover: 202 without a body, the LB PENDING_UPDATE until the provider settles it; 409 unless the LB is ACTIVE', async () => {
      await app.setWorker(false);
      try {
        const res = await app.request('PUT', `${AMPHORAE}/${ids.other}/failover`);
        assert.equal(res.status, 202);
        assert.equal(res.body, null);
        assert.equal(await lbStatus(otherLb.id), 'PENDING_UPDATE');
        const again = await app.request('PUT', `${AMPHORAE}/${ids.other}/failover`);
        assert.equal(again.status, 409);
        assert.equal(again.body.faultstring, `Invalid state PENDING_UPDATE of loadbalancer resource ${otherLb.id}`);
        const job = await app.rt.database.db.selectFrom('job').select(['kind', 'payload']).where('load_balancer_id', '=', otherLb.id).orderBy('id', 'desc').executeTakeFirstOrThrow();
        assert.equal((job.payload as any).action, 'failover');
        assert.equal((job.payload as any).amphoraId, ids.other);
      } finally {
        await app.setWorker(true);
      }
      assert.equal((await app.waitFor(`/v2/lbaas/loadbalancers/${otherLb.id}`, 'loadbalancer', ['ACTIVE'])).provisioning_status, 'ACTIVE');

      // An amphora failover needs the LB ACTIVE; an LB in ERROR is failed over through the LB.
      await app.rt.database.db.updateTable('load_balancer').set({ provisioning_status: 'ERROR' }).where('id', '=', otherLb.id).execute();
      const refused = await app.request('PUT', `${AMPHORAE}/${ids.other}/failover`);
      assert.equal(refused.status, 409);
      assert.equal(refused.body.faultstring, `Invalid state ERROR of loadbalancer resource ${otherLb.id}`);
      await app.rt.database.db.updateTable('load_balancer').set({ provisioning_status: 'ACTIVE' }).where('id', '=', otherLb.id).execute();

      assert.equal((await app.request('PUT', `${AMPHORAE}/${ids.gone}/failover`)).status, 404);
      const spare = await insertAmphora(null, 'READY');
      assert.equal((await app.request('PUT', `${AMPHORAE}/${spare}/failover`)).status, 409);
    });

    test('config: 202 and a job for the amphora; a push that cannot reach an agent is recorded on the amphora', async () => {
      const res = await app.request('PUT', `${AMPHORAE}/${ids.serving}/config`);
      assert.equal(res.status, 202);
      assert.equal(res.body, null);
      assert.equal(await lbStatus(lb.id), 'ACTIVE', 'a config push does not lock the load balancer');
      const deadline = Date.now() + 10_000;
      let job;
      do {
        job = await app.rt.database.db.selectFrom('job').select(['kind', 'state', 'last_error']).where('kind', '=', 'amphora-config').executeTakeFirstOrThrow();
        if (job.state === 'failed') break;
        await new Promise((r) => setTimeout(r, 20));
      } while (Date.now() < deadline);
      assert.equal(job.state, 'failed');
      const row = await app.rt.database.db.selectFrom('amphora').select(['fault', 'status']).where('id', '=', ids.serving).executeTakeFirstOrThrow();
      assert.equal(row.fault, `amphora ${ids.serving} has no agent`);
      assert.equal(row.status, 'ALLOCATED');
      assert.equal((await app.request('PUT', `${AMPHORAE}/${ids.gone}/config`)).status, 404);
    });

    test('delete: 409 unless the amphora is in ERROR; then 204, and it is gone once its job ran', async () => {
      const refused = await app.request('DELETE', `${AMPHORAE}/${ids.serving}`);
      assert.equal(refused.status, 409);
      assert.equal(refused.body.faultstring, `Amphora ${ids.serving} is immutable and cannot be updated.`);

      const res = await app.request('DELETE', `${AMPHORAE}/${ids.broken}`);
      assert.equal(res.status, 204);
      const deadline = Date.now() + 10_000;
      let status = '';
      while (Date.now() < deadline) {
        status = (await app.rt.database.db.selectFrom('amphora').select('status').where('id', '=', ids.broken).executeTakeFirstOrThrow()).status;
        if (status === 'DELETED') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(status, 'DELETED');
      assert.equal((await app.request('GET', `${AMPHORAE}/${ids.broken}`)).status, 404);
      assert.equal((await app.request('DELETE', `${AMPHORAE}/${ids.broken}`)).status, 404);
    });
  });
}
