// The events of failovers and of housekeeping, on both back ends: an operator's LB failover on
// the amphora provider (noop compute driver: the whole failover flow runs, nothing is started)
// records failover.started and failover.finished; a failover its provider refuses records
// failover.failed; the health manager's queueing of an automatic failover records
// failover.started in its own transaction; certificates near their expiry become one
// certificate.expiring event each; events past their retention are purged with their deliveries. The refusing driver is a real ProviderDriver whose
// failover step fails, standing in for a back end that cannot replace its appliance.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKENDS } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { PermanentFailure, type FlowStep } from '../../src/flows/flow.ts';
import { successStatuses } from '../../src/model/completion.ts';
import type { ProviderOperation } from '../../src/model/operation.ts';
import type { ProviderDriver } from '../../src/providers/driver.ts';
import type { StatusCallbacks } from '../../src/providers/status-callbacks.ts';
import { enqueueFailover } from '../../src/health/failover-store.ts';
import { CertificateExpiryWatch } from '../../src/housekeeping/certificate-expiry-watch.ts';
import { purgeEventsOlderThan } from '../../src/housekeeping/event-retention.ts';
import { createLogger } from '../../src/observability/logger.ts';

class NoFailoverDriver implements ProviderDriver {
  readonly name = 'nofailover';
  readonly description = 'cannot fail over';
  constructor(private readonly callbacks: StatusCallbacks) {}
  checkSupport(): void {}
  plan(op: ProviderOperation): FlowStep<ProviderOperation>[] {
    return [
      {
        name: 'nofailover:apply',
        run: async () => {
          if (op.action === 'failover') throw new PermanentFailure('no spare appliance to fail over to');
          await this.callbacks.updateStatuses(successStatuses(op));
        },
      },
    ];
  }
}

for (const backend of BACKENDS) {
  describe(`failover and certificate events (${backend})`, () => {
    let app: TestApp;
    let dataDir: string;
    const subnetId = randomUUID();
    const events = async (query: string) => (await app.request('GET', `/v2/fulcrum/events?${query}&sort=created_at:asc`)).body.events as any[];

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-events-fo-'));
      app = await startTestApp(backend, {
        config: { defaultProvider: 'amphora', enabledProviders: ['amphora', 'noop', 'nofailover'], computeDriver: 'noop', networkDriver: 'noop', dataDir, jobMaxAttempts: 2 },
        drivers: (_database, callbacks) => [new NoFailoverDriver(callbacks)],
      });
    });
    after(async () => {
      await app?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    async function activeLb(provider?: string): Promise<string> {
      const res = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnetId, ...(provider ? { provider } : {}) } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${res.body.loadbalancer.id}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 30_000);
      assert.equal(lb.provisioning_status, 'ACTIVE');
      return lb.id;
    }

    test("an operator's failover records failover.started, then failover.finished with the amphorae", async () => {
      const lbId = await activeLb();
      const [old] = (await app.request('GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`)).body.amphorae;
      assert.equal((await app.request('PUT', `/v2/lbaas/loadbalancers/${lbId}/failover`)).status, 202);
      assert.equal((await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 30_000)).provisioning_status, 'ACTIVE');
      const list = await events(`loadbalancer_id=${lbId}`);
      assert.deepEqual(
        list.map((e) => [e.type, e.severity]),
        [
          ['failover.started', 'warning'],
          ['failover.finished', 'info'],
        ],
      );
      assert.equal(list[0].detail.automatic, false);
      assert.deepEqual(list[1].detail.replaced, [old.id]);
      assert.equal(list[1].detail.replacements.length, 1);
      assert.notEqual(list[1].detail.replacements[0], old.id);
      assert.equal(list[1].project_id, 'project-a');
    });

    test('a failover that fails records failover.failed with the reason, and the LB in ERROR', async () => {
      const lbId = await activeLb('nofailover');
      assert.equal((await app.request('PUT', `/v2/lbaas/loadbalancers/${lbId}/failover`)).status, 202);
      assert.equal((await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ERROR'], 30_000)).provisioning_status, 'ERROR');
      const list = await events(`loadbalancer_id=${lbId}`);
      assert.deepEqual(list.map((e) => e.type).sort(), ['failover.failed', 'failover.started', 'provisioning.error']);
      const failed = list.find((e) => e.type === 'failover.failed');
      assert.match(failed.detail.reason, /no spare appliance to fail over to/);
      assert.equal(failed.severity, 'error');
    });

    test("the health manager's automatic failover records failover.started with its reason and job", async () => {
      const lbId = await activeLb();
      const [amphora] = (await app.request('GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`)).body.amphorae;
      const jobId = await enqueueFailover(app.rt.database.db, { amphoraId: amphora.id, loadBalancerId: lbId, reason: 'silent for 3 s', maxAttempts: 2 });
      assert.ok(jobId);
      // A second manager deciding the same: no second job, no second event.
      assert.equal(await enqueueFailover(app.rt.database.db, { amphoraId: amphora.id, loadBalancerId: lbId, reason: 'silent for 3 s', maxAttempts: 2 }), null);
      await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 30_000);
      const started = await events(`loadbalancer_id=${lbId}&type=failover.started`);
      assert.equal(started.length, 1);
      assert.deepEqual(started[0].detail, { loadbalancer_id: lbId, amphora_id: amphora.id, reason: 'silent for 3 s', automatic: true, job_id: jobId });
    });

    test('certificates near their expiry become one certificate.expiring event each', async () => {
      const db = app.rt.database.db;
      const day = 86_400_000;
      const soon = randomUUID();
      const later = randomUUID();
      const ca = randomUUID();
      await db
        .insertInto('certificate')
        .values([
          { id: soon, project_id: 'project-c', name: 'www', type: 'certificate', sealed: 'x', expires_at: new Date(Date.now() + 5 * day + 3_600_000) },
          { id: later, project_id: 'project-c', name: 'api', type: 'certificate', sealed: 'x', expires_at: new Date(Date.now() + 100 * day) },
          { id: ca, project_id: 'project-c', name: 'ca', type: 'ca', sealed: 'x', expires_at: new Date(Date.now() + day) },
        ])
        .execute();
      const watch = new CertificateExpiryWatch(db, 30, 60_000, createLogger('silent'));
      assert.equal(await watch.checkOnce(), 1);
      assert.equal(await watch.checkOnce(), 0, 'the next check does not repeat it');
      const list = await events('type=certificate.expiring');
      assert.equal(list.length, 1);
      assert.equal(list[0].project_id, 'project-c');
      assert.equal(list[0].detail.certificate_id, soon);
      assert.equal(list[0].detail.days_left, 5);
      // A renewed certificate (a new expiry) is news again.
      await db.updateTable('certificate').set({ expires_at: new Date(Date.now() + 20 * day) }).where('id', '=', soon).execute();
      assert.equal(await watch.checkOnce(), 1);
    });

    test('events past the retention go, with their deliveries; newer ones stay', async () => {
      const db = app.rt.database.db;
      const hook = randomUUID();
      await db.insertInto('webhook').values({ id: hook, project_id: 'project-r', url: 'http://127.0.0.1:9/', sealed_secret: 'x' }).execute();
      const old = [randomUUID(), randomUUID()];
      const fresh = randomUUID();
      const ago = (days: number) => new Date(Date.now() - days * 86_400_000);
      await db
        .insertInto('event')
        .values([
          { id: old[0], type: 'quota.reached', severity: 'warning', project_id: 'project-r', load_balancer_id: null, created_at: ago(40) },
          { id: old[1], type: 'quota.reached', severity: 'warning', project_id: 'project-r', load_balancer_id: null, created_at: ago(31) },
          { id: fresh, type: 'quota.reached', severity: 'warning', project_id: 'project-r', load_balancer_id: null, created_at: ago(29) },
        ])
        .execute();
      await db.insertInto('webhook_delivery').values([old[0], fresh].map((e) => ({ id: randomUUID(), webhook_id: hook, event_id: e, status: 'delivered' as const }))).execute();
      assert.equal(await purgeEventsOlderThan(db, 30), 2);
      const left = await db.selectFrom('event').select('id').where('project_id', '=', 'project-r').execute();
      assert.deepEqual(left.map((r) => r.id), [fresh]);
      const deliveries = await db.selectFrom('webhook_delivery').select('event_id').where('webhook_id', '=', hook).execute();
      assert.deepEqual(deliveries.map((d) => d.event_id), [fresh]);
      assert.equal(await purgeEventsOlderThan(db, 30), 0);
    });
  });
}
