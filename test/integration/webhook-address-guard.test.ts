// Webhook URLs into denied address ranges (FULCRUM_WEBHOOK_DENIED_CIDRS): refused with a fault
// when the hook is created, by address or by what its name resolves to; refused again when
// delivering, where the HTTP client's own lookup decides, so a name that resolved elsewhere
// when its hook was created reaches nothing denied. The hook rows written straight to the
// database stand for hooks whose names resolved to allowed addresses at creation. Loopback
// receivers are real and must get nothing they should not.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';
import { recordEventNow } from '../../src/observability/events.ts';
import { secretStoreFor } from '../../src/certs/secret-store.ts';
import { webhookSecretContext } from '../../src/observability/webhook-delivery.ts';

const SECRET = 'a-webhook-secret-of-some-length';

async function hookCount(app: TestApp): Promise<number> {
  return (await app.rt.database.db.selectFrom('webhook').select('id').execute()).length;
}

async function settled(app: TestApp, webhookId: string): Promise<{ status: string; attempts: number; last_error: string | null }[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const rows = await app.rt.database.db.selectFrom('webhook_delivery').select(['status', 'attempts', 'last_error']).where('webhook_id', '=', webhookId).execute();
    if (rows.length > 0 && rows.every((r) => r.status !== 'pending')) return rows;
    if (Date.now() > deadline) throw new Error(`deliveries still pending: ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('webhook addresses under the default policy', () => {
  let app: TestApp;
  let receiver: Receiver;
  before(async () => {
    app = await startTestApp('pglite', { config: { webhookRetryBaseMs: 50, webhookMaxAttempts: 2 } });
    receiver = await startReceiver();
  });
  after(async () => {
    await app?.close();
    await receiver?.close();
  });

  test('metadata, link-local and this-host URLs are refused with a fault, nothing written; loopback is delivered to', async () => {
    const before = await hookCount(app);
    for (const [url, range] of [
      ['http://169.254.169.254/latest/meta-data/', '169.254.0.0/16'],
      ['http://2852039166/', '169.254.0.0/16'],
      ['http://[::ffff:169.254.169.254]/', '169.254.0.0/16'],
      ['http://[fe80::1]:8080/', 'fe80::/10'],
      ['http://0.0.0.0:9876/v2/lbaas/loadbalancers', '0.0.0.0/8'],
    ]) {
      const res = await app.request('POST', '/v2/fulcrum/webhooks', { webhook: { url, secret: SECRET } });
      assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(Object.keys(res.body).sort(), ['debuginfo', 'faultcode', 'faultstring']);
      assert.ok(res.body.faultstring.includes(`is in ${range}, where webhooks may not be delivered (FULCRUM_WEBHOOK_DENIED_CIDRS)`), res.body.faultstring);
    }
    assert.equal(await hookCount(app), before, 'no hook was written');

    const ok = await app.request('POST', '/v2/fulcrum/webhooks', { webhook: { url: receiver.url, secret: SECRET, project_id: 'project-guard' } });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    await recordEventNow(app.rt.database.db, { type: 'quota.reached', projectId: 'project-guard', loadBalancerId: null, detail: {} });
    await receiver.waitFor(1);
    assert.deepEqual((await settled(app, ok.body.webhook.id)).map((d) => d.status), ['delivered']);
  });
});

describe('webhook addresses with loopback denied', () => {
  let app: TestApp;
  let receiver: Receiver;
  before(async () => {
    app = await startTestApp('pglite', { config: { webhookRetryBaseMs: 50, webhookMaxAttempts: 2, webhookDeniedCidrs: ['127.0.0.0/8', '::1/128'] } });
    receiver = await startReceiver();
  });
  after(async () => {
    await app?.close();
    await receiver?.close();
  });

  test('a name resolving into a denied range is refused at creation', async () => {
    const port = new URL(receiver.url).port;
    const res = await app.request('POST', '/v2/fulcrum/webhooks', { webhook: { url: `http://localhost:${port}/hook`, secret: SECRET } });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.faultstring, /localhost resolves to (127\.0\.0\.1 is in 127\.0\.0\.0\/8|::1 is in ::1\/128)/);
  });

  test('delivery refuses a name that resolves into a denied range now, and a denied address; the receiver gets nothing', async () => {
    const port = new URL(receiver.url).port;
    const secrets = secretStoreFor(app.rt.config);
    const hooks: string[] = [];
    for (const url of [`http://localhost:${port}/hook`, `http://127.0.0.1:${port}/hook`]) {
      const id = randomUUID();
      await app.rt.database.db.insertInto('webhook').values({ id, project_id: 'project-guard', url, sealed_secret: secrets.seal(SECRET, webhookSecretContext(id)), event_types: '[]' }).execute();
      hooks.push(id);
    }
    await recordEventNow(app.rt.database.db, { type: 'quota.reached', projectId: 'project-guard', loadBalancerId: null, detail: {} });
    const [byName, byAddress] = [await settled(app, hooks[0]), await settled(app, hooks[1])];
    assert.equal(byName[0].status, 'dead');
    assert.equal(byName[0].attempts, 2);
    assert.match(byName[0].last_error ?? '', /localhost resolves to .* where webhooks may not be delivered/);
    assert.equal(byAddress[0].status, 'dead');
    assert.match(byAddress[0].last_error ?? '', /^127\.0\.0\.1 is in 127\.0\.0\.0\/8/);
    assert.equal(receiver.received.length, 0);
  });
});
