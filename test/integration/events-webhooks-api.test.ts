// Events and webhooks through the API on both back ends, with Fulcrum API keys: events recorded
// with the change they report (a provisioning failure, a health report, a quota refusal, an
// operator's breaker reset), project scoping of events and hooks, bad input, and real deliveries
// to a receiver on loopback: signed, retried with growing waits, dead-lettered after the last
// attempt, visible through the API. The failing driver is a real ProviderDriver whose steps
// fail, standing in for a back end that refuses work.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKENDS } from '../helpers/db.ts';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';
import { signatureValid, startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';
import { createApiKey } from '../../src/auth/apikey-store.ts';
import { PermanentFailure, type FlowStep } from '../../src/flows/flow.ts';
import { successStatuses } from '../../src/model/completion.ts';
import type { ProviderOperation } from '../../src/model/operation.ts';
import type { ProviderDriver } from '../../src/providers/driver.ts';
import type { StatusCallbacks } from '../../src/providers/status-callbacks.ts';

const SECRET = 'a-webhook-secret-of-some-length';

/** Fails creates of load balancers named fail-me; everything else succeeds. */
class RefusingDriver implements ProviderDriver {
  readonly name = 'refusing';
  readonly description = 'refuses load balancers named fail-me';
  constructor(
    private readonly callbacks: StatusCallbacks,
    private readonly failing: (id: string) => Promise<boolean>,
  ) {}
  checkSupport(): void {}
  plan(op: ProviderOperation): FlowStep<ProviderOperation>[] {
    return [
      {
        name: 'refusing:apply',
        run: async () => {
          if (op.action === 'create' && (await this.failing(op.target.id))) throw new PermanentFailure('appliance refused: no capacity left');
          await this.callbacks.updateStatuses(successStatuses(op));
        },
      },
    ];
  }
}

for (const backend of BACKENDS) {
  describe(`events and webhooks (${backend})`, () => {
    let app: TestApp;
    let receiver: Receiver;
    const keys: Record<string, string> = {};
    const as = (who: string) => (method: string, path: string, body?: unknown) => app.request(method, path, body, { 'x-auth-token': keys[who] });

    before(async () => {
      app = await startTestApp(backend, {
        config: {
          authStrategy: 'apikey',
          enabledProviders: ['noop', 'refusing'],
          defaultProvider: 'refusing',
          webhookMaxAttempts: 3,
          webhookRetryBaseMs: 150,
          webhookRetryCapMs: 5000,
          webhookTimeoutMs: 2000,
        },
        drivers: (database, callbacks) => [
          new RefusingDriver(callbacks, async (id) => {
            const row = await database.db.selectFrom('load_balancer').select('name').where('id', '=', id).executeTakeFirst();
            return row?.name === 'fail-me';
          }),
        ],
      });
      const key = async (projectId: string, roles: string[]) => (await createApiKey(app.rt.database.db, { projectId, roles, name: roles.join('+') })).key;
      keys.p = await key('project-p', ['load-balancer_member']);
      keys.pReader = await key('project-p', ['load-balancer_observer']);
      keys.q = await key('project-q', ['load-balancer_member']);
      keys.admin = await key('project-admin', ['admin']);
      receiver = await startReceiver();
    });
    after(async () => {
      await app?.close();
      await receiver?.close();
    });

    /** A load balancer the refusing driver fails; returns its id once it is in ERROR. */
    async function failedLoadBalancer(who: string): Promise<string> {
      const res = await as(who)('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'fail-me', vip_subnet_id: SUBNET } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const id = res.body.loadbalancer.id;
      const deadline = Date.now() + 15_000;
      for (;;) {
        const lb = (await as(who)('GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer;
        if (lb.provisioning_status === 'ERROR') return id;
        if (Date.now() > deadline) throw new Error(`LB not in ERROR: ${JSON.stringify(lb)}`);
        await sleep(20);
      }
    }

    async function deliveries(who: string, hookId: string, until: (d: any[]) => boolean, timeoutMs = 20_000): Promise<any[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await as(who)('GET', `/v2/fulcrum/webhooks/${hookId}/deliveries`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        if (until(res.body.deliveries)) return res.body.deliveries;
        if (Date.now() > deadline) throw new Error(`deliveries never got there: ${JSON.stringify(res.body.deliveries)}`);
        await sleep(50);
      }
    }

    test('a provisioning failure is an event with its reason, for its project only', async () => {
      const lbId = await failedLoadBalancer('p');
      const list = await as('p')('GET', `/v2/fulcrum/events?type=provisioning.error&loadbalancer_id=${lbId}`);
      assert.equal(list.status, 200, JSON.stringify(list.body));
      assert.equal(list.body.events.length, 1);
      const [event] = list.body.events;
      assert.deepEqual(Object.keys(event).sort(), ['created_at', 'detail', 'id', 'loadbalancer_id', 'project_id', 'severity', 'type']);
      assert.equal(event.type, 'provisioning.error');
      assert.equal(event.severity, 'error');
      assert.equal(event.project_id, 'project-p');
      assert.equal(event.loadbalancer_id, lbId);
      assert.equal(event.detail.loadbalancer_id, lbId);
      assert.match(event.detail.fault, /appliance refused: no capacity left/);
      assert.match(event.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);

      assert.deepEqual((await as('p')('GET', `/v2/fulcrum/events/${event.id}`)).body.event, event);
      assert.equal((await as('pReader')('GET', `/v2/fulcrum/events/${event.id}`)).status, 200, 'observers read their project events');
      assert.equal((await as('q')('GET', `/v2/fulcrum/events/${event.id}`)).status, 403);
      assert.ok(!(await as('q')('GET', '/v2/fulcrum/events')).body.events.some((e: any) => e.id === event.id), "another project's list does not show it");
      assert.equal((await as('q')('GET', '/v2/fulcrum/events?project_id=project-p')).status, 403);
      assert.ok((await as('admin')('GET', '/v2/fulcrum/events')).body.events.some((e: any) => e.id === event.id), 'administrators see every project');
      const missing = await as('admin')('GET', '/v2/fulcrum/events/6f1c9d38-0000-4000-8000-000000000000');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.faultstring, 'Event 6f1c9d38-0000-4000-8000-000000000000 not found.');
      assert.equal((await as('admin')('GET', '/v2/fulcrum/events/not-a-uuid')).status, 404);
    });

    test('a health report becomes an event on change only, and back ONLINE is one too', async () => {
      const db = app.rt.database.db;
      const lb = await as('p')('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'healthy', vip_subnet_id: SUBNET, provider: 'noop' } });
      const lbId = lb.body.loadbalancer.id;
      await db.updateTable('load_balancer').set({ operating_status: 'ONLINE' }).where('id', '=', lbId).execute();
      // The same report from two health managers, then the recovery.
      await app.rt.callbacks.updateStatuses({ loadbalancer: [{ id: lbId, operating_status: 'DEGRADED' }] });
      await app.rt.callbacks.updateStatuses({ loadbalancer: [{ id: lbId, operating_status: 'DEGRADED' }] });
      await app.rt.callbacks.updateStatuses({ loadbalancer: [{ id: lbId, operating_status: 'ONLINE' }] });
      const events = (await as('p')('GET', `/v2/fulcrum/events?loadbalancer_id=${lbId}&sort=created_at:asc`)).body.events;
      assert.deepEqual(
        events.map((e: any) => [e.type, e.severity, e.detail.previous, e.detail.operating_status]),
        [
          ['loadbalancer.degraded', 'warning', 'ONLINE', 'DEGRADED'],
          ['loadbalancer.online', 'info', 'DEGRADED', 'ONLINE'],
        ],
      );
      const since = events[1].created_at;
      const later = (await as('p')('GET', `/v2/fulcrum/events?loadbalancer_id=${lbId}&since=${since}`)).body.events;
      assert.deepEqual(later.map((e: any) => e.type), ['loadbalancer.online'], 'since is inclusive and filters the earlier event out');
      const page = await as('p')('GET', `/v2/fulcrum/events?loadbalancer_id=${lbId}&limit=1`);
      assert.equal(page.body.events.length, 1);
      assert.equal(page.body.events_links[0].rel, 'next');
      const next = await as('p')('GET', `/v2/fulcrum/events?loadbalancer_id=${lbId}&limit=1&marker=${page.body.events[0].id}`);
      assert.deepEqual(next.body.events.map((e: any) => e.type), ['loadbalancer.online']);
    });

    test('a create refused for quota records quota.reached, although the create rolled back', async () => {
      assert.equal((await as('admin')('PUT', '/v2/lbaas/quotas/project-q', { quota: { loadbalancer: 0 } })).status, 202);
      const refused = await as('q')('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, provider: 'noop' } });
      assert.equal(refused.status, 403);
      const events = (await as('q')('GET', '/v2/fulcrum/events?type=quota.reached')).body.events;
      assert.equal(events.length, 1);
      assert.deepEqual(events[0].detail.resources, ['Load Balancer']);
      assert.equal(events[0].project_id, 'project-q');
      assert.equal((await as('p')('GET', '/v2/fulcrum/events?type=quota.reached')).body.events.length, 0);
    });

    test("control-plane events (an operator's breaker reset) have no project: administrators only", async () => {
      await app.rt.database.db.insertInto('failover_breaker').values({ domain: 'fleet', open: true, reason: 'test', silent: 3, total: 4 }).execute();
      assert.equal((await as('admin')('POST', '/v2/fulcrum/health/circuit-breakers/reset', { circuit_breaker: { domain: 'fleet' } })).status, 200);
      const admin = (await as('admin')('GET', '/v2/fulcrum/events?type=circuit_breaker.reset')).body.events;
      assert.equal(admin.length, 1);
      assert.equal(admin[0].project_id, null);
      assert.deepEqual(admin[0].detail, { domain: 'fleet', by: 'operator' });
      assert.equal((await as('p')('GET', '/v2/fulcrum/events?type=circuit_breaker.reset')).body.events.length, 0);
      assert.equal((await as('p')('GET', `/v2/fulcrum/events/${admin[0].id}`)).status, 403);
    });

    test('bad event filters get fault bodies', async () => {
      for (const [query, message] of [
        ['since=yesterday', "Invalid input for field/attribute since. Value: 'yesterday'."],
        ['type=member.exploded', "Invalid input for field/attribute type. Value: 'member.exploded'."],
        ['severity=fatal', "Invalid input for field/attribute severity. Value: 'fatal'."],
        ['loadbalancer_id=xyz', "Invalid input for field/attribute loadbalancer_id. Value: 'xyz'."],
        ['marker=nope', "Supplied pagination marker 'nope' is not valid."],
        ['marker=6f1c9d38-0000-4000-8000-000000000000', "Supplied pagination marker '6f1c9d38-0000-4000-8000-000000000000' is not valid."],
        ['limit=many', "Supplied pagination limit 'many' is not valid."],
        ['sort=detail', "Supplied sort key 'detail' is not valid."],
        ['colour=red', 'One or more arguments are either duplicate or invalid'],
        ['type=member.error&type=member.online', 'One or more arguments are either duplicate or invalid'],
      ]) {
        const res = await as('p')('GET', `/v2/fulcrum/events?${query}`);
        assert.equal(res.status, 400, query);
        assert.equal(res.body.faultstring, message, query);
        assert.equal(res.body.faultcode, 'Client');
      }
    });

    test('webhooks: bad input is refused with a reason and nothing is stored', async () => {
      const post = (webhook: unknown) => as('p')('POST', '/v2/fulcrum/webhooks', { webhook });
      const cases: [unknown, RegExp][] = [
        [{ url: 'ftp://127.0.0.1/x', secret: SECRET }, /http or https, not ftp/],
        [{ url: 'file:///etc/passwd', secret: SECRET }, /http or https, not file/],
        [{ url: 'no url at all', secret: SECRET }, /not a valid URL/],
        [{ url: 'http://u:p@127.0.0.1/', secret: SECRET }, /user name or password/],
        [{ url: receiver.url, secret: 'short' }, /secret/],
        [{ url: receiver.url }, /secret/],
        [{ secret: SECRET }, /url/],
        [{ url: receiver.url, secret: SECRET, event_types: ['member.exploded'] }, /Unknown event types: member\.exploded/],
        [{ url: receiver.url, secret: SECRET, event_types: 'member.error' }, /event_types/],
        [{ url: receiver.url, secret: SECRET, colour: 'red' }, /colour/],
      ];
      for (const [body, message] of cases) {
        const res = await post(body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(res.body.faultstring, message, JSON.stringify(body));
      }
      const bad = await as('p')('POST', '/v2/fulcrum/webhooks', '{"webhook": ');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.faultstring, 'Request is not in valid JSON format');
      assert.equal((await as('admin')('GET', '/v2/fulcrum/webhooks')).body.webhooks.length, 0);
    });

    test("webhooks belong to a project: tenants cannot see, delete or target another project's", async () => {
      const own = await as('p')('POST', '/v2/fulcrum/webhooks', { webhook: { url: receiver.url, secret: SECRET } });
      assert.equal(own.status, 201, JSON.stringify(own.body));
      assert.equal(own.body.webhook.project_id, 'project-p');
      assert.ok(!JSON.stringify(own.body).includes(SECRET), 'the secret is never returned');
      assert.ok(!('secret' in own.body.webhook));
      const id = own.body.webhook.id;
      assert.equal((await as('q')('POST', '/v2/fulcrum/webhooks', { webhook: { url: receiver.url, secret: SECRET, project_id: 'project-p' } })).status, 403);
      assert.equal((await as('p')('POST', '/v2/fulcrum/webhooks', { webhook: { url: receiver.url, secret: SECRET, project_id: null } })).status, 403, 'only administrators hook every project');
      assert.equal((await as('pReader')('POST', '/v2/fulcrum/webhooks', { webhook: { url: receiver.url, secret: SECRET } })).status, 403, 'observers cannot register');
      assert.equal((await as('q')('GET', `/v2/fulcrum/webhooks/${id}`)).status, 403);
      assert.equal((await as('q')('GET', `/v2/fulcrum/webhooks/${id}/deliveries`)).status, 403);
      assert.equal((await as('q')('DELETE', `/v2/fulcrum/webhooks/${id}`)).status, 403);
      assert.deepEqual((await as('q')('GET', '/v2/fulcrum/webhooks')).body.webhooks, []);
      assert.deepEqual((await as('pReader')('GET', '/v2/fulcrum/webhooks')).body.webhooks.map((w: any) => w.id), [id]);
      const shown = await as('p')('GET', `/v2/fulcrum/webhooks/${id}`);
      assert.deepEqual(shown.body.webhook, own.body.webhook);
      assert.equal((await as('p')('DELETE', `/v2/fulcrum/webhooks/${id}`)).status, 204);
      assert.equal((await as('p')('GET', `/v2/fulcrum/webhooks/${id}`)).status, 404);
    });

    test('an event is delivered signed to the hooks that want it, and only to those', async () => {
      receiver.received.length = 0;
      receiver.status = 200;
      const hook = (who: string, webhook: Record<string, unknown>) => as(who)('POST', '/v2/fulcrum/webhooks', { webhook: { url: receiver.url, secret: SECRET, ...webhook } });
      const pHook = (await hook('p', { event_types: ['provisioning.error'] })).body.webhook;
      const pOther = (await hook('p', { event_types: ['failover.started'] })).body.webhook;
      const qHook = (await hook('q', {})).body.webhook;
      const global = await hook('admin', { project_id: null, secret: `${SECRET}-admin`, event_types: ['provisioning.error'] });
      assert.equal(global.status, 201);
      assert.equal(global.body.webhook.project_id, null);

      const lbId = await failedLoadBalancer('p');
      const got = await receiver.waitFor(2);
      await sleep(300);
      assert.equal(receiver.received.length, 2, "the other type's hook and the other project's hook get nothing");
      const byHook = new Map<string, (typeof got)[number]>();
      for (const r of got) {
        const secret = signatureValid(SECRET, r) ? SECRET : signatureValid(`${SECRET}-admin`, r) ? `${SECRET}-admin` : null;
        assert.ok(secret, `the signature verifies: ${r.headers['x-fulcrum-signature']}`);
        byHook.set(secret === SECRET ? pHook.id : global.body.webhook.id, r);
        const body = JSON.parse(r.body);
        assert.equal(body.event.type, 'provisioning.error');
        assert.equal(body.event.loadbalancer_id, lbId);
        assert.equal(r.headers['x-fulcrum-event'], 'provisioning.error');
        assert.equal(r.headers['content-type'], 'application/json');
        assert.equal(signatureValid(SECRET, { ...r, body: `${r.body} ` }), false, 'a changed body does not verify');
      }
      const [delivery] = await deliveries('p', pHook.id, (d) => d.length === 1 && d[0].status === 'delivered');
      assert.equal(delivery.attempts, 1);
      assert.equal(delivery.last_status_code, 200);
      assert.equal(byHook.get(pHook.id)!.headers['x-fulcrum-delivery'], delivery.id, 'the delivery id header names the delivery');
      assert.equal(JSON.parse(byHook.get(pHook.id)!.body).event.id, delivery.event_id);
      assert.deepEqual(await deliveries('p', pOther.id, () => true), []);
      assert.deepEqual(await deliveries('q', qHook.id, () => true), []);
      for (const h of [pHook, pOther]) await as('p')('DELETE', `/v2/fulcrum/webhooks/${h.id}`);
      await as('q')('DELETE', `/v2/fulcrum/webhooks/${qHook.id}`);
      await as('admin')('DELETE', `/v2/fulcrum/webhooks/${global.body.webhook.id}`);
    });

    test('a failing receiver gets retries with growing waits, then the delivery succeeds', async () => {
      receiver.received.length = 0;
      receiver.status = 500;
      const hook = (await as('p')('POST', '/v2/fulcrum/webhooks', { webhook: { url: receiver.url, secret: SECRET, event_types: ['provisioning.error'] } })).body.webhook;
      await failedLoadBalancer('p');
      await receiver.waitFor(2);
      receiver.status = 200;
      const got = await receiver.waitFor(3);
      const [d] = await deliveries('p', hook.id, (list) => list[0]?.status === 'delivered');
      assert.equal(d.attempts, 3);
      assert.equal(new Set(got.map((r) => r.headers['x-fulcrum-delivery'])).size, 1, 'every attempt carries the same delivery id');
      assert.equal(new Set(got.map((r) => r.body)).size, 1, 'and the same body');
      const gaps = [got[1].at - got[0].at, got[2].at - got[1].at];
      assert.ok(gaps[0] >= 150 - 20, `first retry after the base wait (${gaps[0]} ms)`);
      assert.ok(gaps[1] >= 300 - 20, `second after twice that (${gaps[1]} ms)`);
      await as('p')('DELETE', `/v2/fulcrum/webhooks/${hook.id}`);
    });

    test('after the last attempt a delivery is dead-lettered and stays visible', async () => {
      receiver.received.length = 0;
      receiver.status = 500;
      const hook = (await as('p')('POST', '/v2/fulcrum/webhooks', { webhook: { url: receiver.url, secret: SECRET, event_types: ['provisioning.error'] } })).body.webhook;
      await failedLoadBalancer('p');
      const [d] = await deliveries('p', hook.id, (list) => list[0]?.status === 'dead');
      assert.equal(d.attempts, 3, 'FULCRUM_WEBHOOK_MAX_ATTEMPTS attempts');
      assert.equal(d.last_status_code, 500);
      assert.equal(d.last_error, 'the receiver answered 500');
      assert.equal(d.delivered_at, null);
      await sleep(1000);
      assert.equal(receiver.received.length, 3, 'no attempt after the last');
      assert.equal((await as('p')('GET', `/v2/fulcrum/webhooks/${hook.id}/deliveries?status=dead`)).body.deliveries.length, 1);
      assert.equal((await as('p')('GET', `/v2/fulcrum/webhooks/${hook.id}/deliveries?status=delivered`)).body.deliveries.length, 0);
      assert.equal(app.rt.webhookCounts.deadLettered >= 1, true, 'the process counts dead letters for the metrics');
    });
  });
}
