// A driver failure reaches the API as provisioning_status ERROR with the reason stored, never
// as a hang: the completion rules of docs/octavia-compatibility.md §4.3 on both back ends. The driver here is a
// real ProviderDriver whose steps fail, standing in for a vendor back end that refuses work.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { SUBNET, createActiveLoadBalancer, startTestApp, type TestApp } from '../helpers/app.ts';
import { PermanentFailure, type FlowStep } from '../../src/flows/flow.ts';
import { successStatuses } from '../../src/model/completion.ts';
import type { ProviderOperation } from '../../src/model/operation.ts';
import type { ProviderDriver } from '../../src/providers/driver.ts';
import type { StatusCallbacks } from '../../src/providers/status-callbacks.ts';

/** Fails creates and updates of objects named "fail-me"; everything else succeeds. */
class SelectiveFailureDriver implements ProviderDriver {
  readonly name = 'flaky';
  readonly description = 'fails operations on objects named fail-me';
  reverted: string[] = [];
  constructor(private readonly callbacks: StatusCallbacks, private readonly names: () => Promise<string[]>) {}
  checkSupport(): void {}
  plan(op: ProviderOperation): FlowStep<ProviderOperation>[] {
    return [
      {
        name: 'flaky:prepare',
        run: async () => 'prepared',
        revert: async () => {
          this.reverted.push(op.target.id);
        },
      },
      {
        name: 'flaky:apply',
        run: async () => {
          if (op.action !== 'delete' && (await this.names()).includes(op.target.id)) throw new PermanentFailure('backend refused the change: quota exceeded on appliance');
          await this.callbacks.updateStatuses(successStatuses(op));
        },
      },
    ];
  }
}

for (const backend of BACKENDS) {
  describe(`provider failures (${backend})`, () => {
    let app: TestApp;
    let driver: SelectiveFailureDriver;
    before(async () => {
      app = await startTestApp(backend, {
        config: { enabledProviders: ['noop', 'flaky'], defaultProvider: 'flaky' },
        drivers: (database, callbacks) => {
          driver = new SelectiveFailureDriver(callbacks, async () => {
            const tables = ['load_balancer', 'listener', 'pool'] as const;
            const ids: string[] = [];
            for (const t of tables) {
              const rows = await database.db.selectFrom(t).select('id').where('name', '=', 'fail-me').execute();
              ids.push(...rows.map((r) => r.id));
            }
            return ids;
          });
          return [driver];
        },
      });
    });
    after(async () => app?.close());

    test('a failed LB create leaves the LB in ERROR with the reason in its job, and reverts run', async () => {
      const res = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'fail-me', vip_subnet_id: SUBNET } });
      assert.equal(res.status, 201);
      assert.equal(res.body.loadbalancer.provider, 'flaky');
      const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${res.body.loadbalancer.id}`, 'loadbalancer');
      assert.equal(lb.provisioning_status, 'ERROR');
      assert.deepEqual(driver.reverted, [lb.id]);
      const jobs = await app.request('GET', `/v2/fulcrum/jobs?load_balancer_id=${lb.id}`);
      assert.equal(jobs.body.jobs.length, 1);
      assert.equal(jobs.body.jobs[0].state, 'failed');
      assert.equal(jobs.body.jobs[0].last_error, 'backend refused the change: quota exceeded on appliance');
      const row = await app.rt.database.db.selectFrom('load_balancer').select('fault').where('id', '=', lb.id).executeTakeFirstOrThrow();
      assert.equal(row.fault, 'backend refused the change: quota exceeded on appliance');
      const del = await app.request('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`);
      assert.equal(del.status, 204, 'an LB in ERROR can still be deleted');
      await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', ['DELETED']);
    });

    test('a failed child create sets the child ERROR and unlocks the LB back to ACTIVE', async () => {
      const lb = await createActiveLoadBalancer(app);
      const res = await app.request('POST', '/v2/lbaas/listeners', {
        listener: { loadbalancer_id: lb.id, name: 'fail-me', protocol: 'HTTP', protocol_port: 80 },
      });
      assert.equal(res.status, 201);
      const listener = await app.waitFor(`/v2/lbaas/listeners/${res.body.listener.id}`, 'listener');
      assert.equal(listener.provisioning_status, 'ERROR');
      const lbAfter = await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
      assert.equal(lbAfter.provisioning_status, 'ACTIVE');
      const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
      assert.equal(pool.status, 201, 'the tree is writable again');
      await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
    });

    test('a failed pool update sets the pool ERROR and its listener back to ACTIVE', async () => {
      const lb = await createActiveLoadBalancer(app);
      const settle = () => app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
      const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } });
      await settle();
      const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
      await settle();
      const put = await app.request('PUT', `/v2/lbaas/pools/${pool.body.pool.id}`, { pool: { name: 'fail-me' } });
      assert.equal(put.status, 200);
      const failed = await app.waitFor(`/v2/lbaas/pools/${pool.body.pool.id}`, 'pool');
      assert.equal(failed.provisioning_status, 'ERROR');
      assert.equal((await app.waitFor(`/v2/lbaas/listeners/${listener.body.listener.id}`, 'listener')).provisioning_status, 'ACTIVE');
      assert.equal((await settle()).provisioning_status, 'ACTIVE');
    });

    test('nothing is left PENDING after the failures', async () => {
      const db = app.rt.database.db;
      for (const t of ['load_balancer', 'listener', 'pool'] as const) {
        const pending = await db.selectFrom(t).select('id').where('provisioning_status', 'like', 'PENDING_%').execute();
        assert.deepEqual(pending, [], t);
      }
    });
  });
}
