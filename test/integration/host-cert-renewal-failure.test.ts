// A joined host whose certificate is due but whose agent cannot be reached (a real port with
// nothing behind it): the renewal fails, the reason is kept for the operator, the next attempt
// waits for the next check (the claim on the host's row), and only a failure in the last
// quarter of the renewal window records host.certificate_renewal_failing, once per certificate.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/data-plane.ts';
import { HostCertificateRenewal } from '../../src/housekeeping/host-cert-renewal.ts';
import { controllerCa } from '../../src/pki/ca-store.ts';
import { secretStoreFor } from '../../src/certs/secret-store.ts';
import { servedSerial } from '../../src/compute/agent-cert-renewal.ts';
import { createLogger } from '../../src/observability/logger.ts';

let app: TestApp;
let dataDir: string;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-host-cert-failure-'));
  app = await startTestApp('pglite', { worker: false, config: { computeDriver: 'process', dataDir } });
});

after(async () => {
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function joinedHost(name: string, lifetimeMs: number, leftMs: number): Promise<string> {
  const id = randomUUID();
  const now = Date.now();
  await app.rt.database.db
    .insertInto('host')
    .values({
      id,
      name,
      kind: 'joined',
      address: '127.0.0.1',
      // Nothing listens there: every call is refused.
      port: await freePort(),
      last_seen_at: new Date(),
      certificate_serial: name.toUpperCase().replace(/[^0-9A-F]/g, 'A'),
      certificate_not_before: new Date(now + leftMs - lifetimeMs),
      certificate_not_after: new Date(now + leftMs),
    })
    .execute();
  return id;
}

function renewal(): HostCertificateRenewal {
  const rt = app.rt;
  return new HostCertificateRenewal({
    db: rt.database.db,
    ca: () => controllerCa(rt.database.db, secretStoreFor(rt.config)),
    agents: rt.dataPlane.hostCertificates!,
    servedSerial,
    log: createLogger('silent'),
    validitySeconds: 3600,
    renewShare: 1 / 3,
    intervalMs: 60_000,
  });
}

const eventsOf = (hostId: string) =>
  app.rt.database.db.selectFrom('event').selectAll().where('type', '=', 'host.certificate_renewal_failing').execute().then((rows) => rows.filter((e) => (e.detail as { host_id: string }).host_id === hostId));

test('an unreachable host is not renewed; the reason is kept and the retry waits; an event only near expiry', async () => {
  const HOUR = 3_600_000;
  // 30 days of 90 left: not due at all.
  const fresh = await joinedHost('fresh', 90 * 24 * HOUR, 60 * 24 * HOUR);
  // Due (in the last third) but 25 of 90 days left: not urgent yet.
  const due = await joinedHost('due', 90 * 24 * HOUR, 25 * 24 * HOUR);
  // Five of 90 days left: urgent.
  const urgent = await joinedHost('urgent', 90 * 24 * HOUR, 5 * 24 * HOUR);

  const r = renewal();
  assert.deepEqual(await r.checkOnce(), []);
  const row = (id: string) => app.rt.database.db.selectFrom('host').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  const f = await row(fresh);
  assert.equal(f.certificate_renewal_error, null, 'a certificate not due is not touched');
  assert.equal(f.certificate_retry_at, null);
  for (const id of [due, urgent]) {
    const h = await row(id);
    assert.match(h.certificate_renewal_error ?? '', /unreachable|refused/, `${h.name}: ${h.certificate_renewal_error}`);
    assert.ok(h.certificate_retry_at && new Date(h.certificate_retry_at).getTime() > Date.now() + 50_000, 'the next attempt waits for the next check');
    assert.equal(h.certificate_renewed_at, null);
  }
  assert.equal((await eventsOf(due)).length, 0, 'still time: no event');
  const events = await eventsOf(urgent);
  assert.equal(events.length, 1);
  assert.equal(events[0].severity, 'error');
  assert.match(JSON.stringify(events[0].detail), /"name":"urgent"/);

  // The operator sees why in the host view.
  const view = (await app.request('GET', `/v2/fulcrum/hosts/${urgent}`)).body.host;
  assert.match(view.certificate_renewal_error, /unreachable|refused/);
  assert.ok(view.certificate_expires_at);

  // An immediate second check finds the claim in place: no new attempt, no second event.
  await app.rt.database.db.updateTable('host').set({ certificate_renewal_error: 'left as it was' }).where('id', '=', urgent).execute();
  assert.deepEqual(await r.checkOnce(), []);
  assert.equal((await row(urgent)).certificate_renewal_error, 'left as it was');
  assert.equal((await eventsOf(urgent)).length, 1);
});
