// /v2/fulcrum/hosts on the noop compute driver (hosts are inventory rows; every flow of the
// amphora provider and the scheduler run for real): joining with one-time tokens and their
// misuse, admin-only policy, lists with filters and pages, updates and their faults, placement
// spreading over the hosts, anti-affinity of a pair (and its fault when it cannot hold),
// migrate, drain, and delete of an empty host only; admin_state changes as events.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createApiKey } from '../../src/auth/apikey-store.ts';
import { createCsr } from '../../src/pki/certificate-authority.ts';

describe('the host inventory API (noop compute)', () => {
  let app: TestApp;
  let dataDir: string;
  const keys: Record<string, string> = {};
  const hosts: Record<string, string> = {};
  let asFlavor: string;
  let subnetId: string;

  const as = (who: string) => (method: string, path: string, body?: unknown) => app.request(method, path, body, { 'x-auth-token': keys[who] });
  const admin = as('admin');

  async function token(ttl?: number): Promise<string> {
    const res = await admin('POST', '/v2/fulcrum/hosts/join-tokens', ttl ? { join_token: { ttl_seconds: ttl } } : {});
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.match(res.body.join_token.token, /^fjt_/);
    assert.ok(res.body.join_token.expires_at);
    return res.body.join_token.token;
  }

  async function joinAs(tok: string, name: string, port: number, extra: Record<string, unknown> = {}) {
    const { csrPem } = await createCsr('ignored');
    return app.request('POST', '/v2/fulcrum/hosts/join', { join: { token: tok, csr: csrPem, name, address: '127.0.0.1', port, ...extra } });
  }

  async function lb(extra: Record<string, unknown> = {}) {
    const res = await admin('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnetId, ...extra } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.loadbalancer.id as string;
  }

  async function settled(id: string): Promise<string> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = (await admin('GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer.provisioning_status;
      if (status === 'ACTIVE' || status === 'ERROR') return status;
      if (Date.now() > deadline) assert.fail(`load balancer ${id} still ${status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const hostOf = async (lbId: string) =>
    (await app.rt.database.db.selectFrom('amphora').select(['id', 'host_id']).where('load_balancer_id', '=', lbId).where('status', '=', 'ALLOCATED').orderBy('id').execute());
  const counts = async () => Object.fromEntries((await admin('GET', '/v2/fulcrum/hosts')).body.hosts.map((h: any) => [h.name, h.amphora_count]));

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-hosts-api-'));
    app = await startTestApp('pglite', {
      health: true,
      config: { authStrategy: 'apikey', defaultProvider: 'amphora', computeDriver: 'noop', networkDriver: 'local', dataDir, healthPollMs: 100 },
    });
    keys.admin = (await createApiKey(app.rt.database.db, { projectId: 'ops', roles: ['admin'], name: 'admin' })).key;
    keys.member = (await createApiKey(app.rt.database.db, { projectId: 'p', roles: ['load-balancer_member'], name: 'member' })).key;
    const profile = await admin('POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'as', provider_name: 'amphora', flavor_data: '{"loadbalancer_topology": "ACTIVE_STANDBY"}' } });
    const network = await admin('POST', '/v2/fulcrum/networks', { network: { name: 'hosts-test' } });
    const subnet = await admin('POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.body.network.id, cidr: '198.51.100.0/24' } });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    subnetId = subnet.body.subnet.id;
    asFlavor = (await admin('POST', '/v2/lbaas/flavors', { flavor: { name: 'as', flavor_profile_id: profile.body.flavorprofile.id } })).body.flavor.id;
  });
  after(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('hosts join with one-time tokens and get a certificate naming their host id', async () => {
    for (const [i, name] of ['h1', 'h2', 'h3'].entries()) {
      const res = await joinAs(await token(), name, 9601 + i, { availability_zone: 'az1', labels: { rack: `r${i}` } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      hosts[name] = res.body.host.id;
      assert.match(res.body.certificate, /BEGIN CERTIFICATE/);
      const { X509Certificate } = await import('node:crypto');
      const cert = new X509Certificate(res.body.certificate);
      assert.equal(cert.subject, `CN=${res.body.host.id}`);
      assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
      assert.ok(cert.verify(new X509Certificate(res.body.ca_certificate).publicKey));
    }
    const stored = await app.rt.database.db.selectFrom('host_join_token').select('digest').execute();
    assert.ok(stored.every((t) => /^[0-9a-f]{64}$/.test(t.digest)), 'only digests are stored');
  });

  test('a used, expired or forged token is refused with its reason; a bad CSR spends no token', async () => {
    const tok = await token();
    assert.equal((await joinAs(tok, 'h4', 9604)).status, 201);
    const reused = await joinAs(tok, 'h5', 9605);
    assert.equal(reused.status, 401);
    assert.match(reused.body.faultstring, /used already/);
    const forged = await joinAs(`fjt_${'A'.repeat(43)}`, 'h5', 9605);
    assert.equal(forged.status, 401);
    assert.match(forged.body.faultstring, /never issued/);
    const short = await token(1);
    await new Promise((r) => setTimeout(r, 1500));
    const expired = await joinAs(short, 'h5', 9605);
    assert.equal(expired.status, 401);
    assert.match(expired.body.faultstring, /expired/);
    const fresh = await token();
    const badCsr = await app.request('POST', '/v2/fulcrum/hosts/join', { join: { token: fresh, csr: 'not a csr', name: 'h5', address: '127.0.0.1', port: 9605 } });
    assert.equal(badCsr.status, 400);
    assert.ok(badCsr.body.faultstring && badCsr.body.faultcode, JSON.stringify(badCsr.body));
    const sameName = await joinAs(fresh, 'h4', 9606);
    assert.equal(sameName.status, 409, 'a name in use is a conflict (and spends nothing)');
    const ok = await joinAs(fresh, 'h5', 9605);
    assert.equal(ok.status, 201, 'the token survived the refused joins');
    // h4 and h5 take no part in the placement tests below.
    for (const name of ['h4', 'h5']) {
      const id = ok.body.host.name === name ? ok.body.host.id : (await admin('GET', `/v2/fulcrum/hosts?name=${name}`)).body.hosts[0].id;
      assert.equal((await admin('PUT', `/v2/fulcrum/hosts/${id}`, { host: { admin_state: 'DISABLED' } })).status, 200);
    }
  });

  test('hosts are admin-only, by the policy engine', async () => {
    assert.equal((await as('member')('GET', '/v2/fulcrum/hosts')).status, 403);
    assert.equal((await as('member')('POST', '/v2/fulcrum/hosts/join-tokens', {})).status, 403);
    assert.equal((await as('member')('PUT', `/v2/fulcrum/hosts/${hosts.h1}`, { host: { capacity: 1 } })).status, 403);
    assert.equal((await app.request('GET', '/v2/fulcrum/hosts')).status, 401);
  });

  test('lists filter, page and select fields; the dashboard fields are all there', async () => {
    const all = (await admin('GET', '/v2/fulcrum/hosts')).body;
    assert.equal(all.hosts.length, 5);
    for (const field of ['id', 'name', 'address', 'port', 'availability_zone', 'admin_state', 'operating_status', 'amphora_count', 'capacity', 'labels', 'last_seen_at']) {
      assert.ok(field in all.hosts[0], `field ${field}`);
    }
    const enabled = (await admin('GET', '/v2/fulcrum/hosts?admin_state=ENABLED&sort=name:asc')).body.hosts.map((h: any) => h.name);
    assert.deepEqual(enabled, ['h1', 'h2', 'h3']);
    const page = (await admin('GET', '/v2/fulcrum/hosts?limit=2&sort=name:asc')).body;
    assert.deepEqual(page.hosts.map((h: any) => h.name), ['h1', 'h2']);
    const next = page.hosts_links.find((l: any) => l.rel === 'next').href;
    assert.deepEqual((await admin('GET', next.slice(next.indexOf('/v2/')))).body.hosts.map((h: any) => h.name), ['h3', 'h4']);
    assert.deepEqual(Object.keys((await admin('GET', '/v2/fulcrum/hosts?fields=name&limit=1')).body.hosts[0]), ['name']);
    assert.equal((await admin('GET', '/v2/fulcrum/hosts?bogus=1')).status, 400);
    assert.equal((await admin('GET', '/v2/fulcrum/hosts/not-a-host')).status, 404);
    assert.equal((await admin('GET', `/v2/fulcrum/hosts/${hosts.h1}`)).body.host.labels.rack, 'r0');
  });

  test('updates are checked and faults are Octavia-shaped', async () => {
    const bad = await admin('PUT', `/v2/fulcrum/hosts/${hosts.h1}`, { host: { admin_state: 'SLEEPING' } });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.faultcode && bad.body.faultstring && 'debuginfo' in bad.body, JSON.stringify(bad.body));
    assert.equal((await admin('PUT', `/v2/fulcrum/hosts/${hosts.h1}`, { host: { capacity: -1 } })).status, 400);
    assert.equal((await admin('PUT', `/v2/fulcrum/hosts/${hosts.h1}`, { host: { labels: { 'bad key!': 'x' } } })).status, 400);
    assert.equal((await admin('PUT', `/v2/fulcrum/hosts/${hosts.h1}`, { host: { address: '10.0.0.1' } })).status, 400);
    const ok = await admin('PUT', `/v2/fulcrum/hosts/${hosts.h1}`, { host: { capacity: 50, labels: { rack: 'r0', disk: 'ssd' } } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.host.capacity, 50);
    assert.deepEqual(ok.body.host.amphora_ids, []);
  });

  test('an operator changing admin_state records a host.admin_state event; other updates and a repeat do not', async () => {
    const put = (body: Record<string, unknown>) => admin('PUT', `/v2/fulcrum/hosts/${hosts.h1}`, { host: body });
    const ofH1 = async (who: (m: string, p: string) => ReturnType<typeof admin>) => {
      const res = await who('GET', '/v2/fulcrum/events?type=host.admin_state&sort=created_at:asc&limit=100');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.events.filter((e: any) => e.detail.host_id === hosts.h1).map((e: any) => [e.detail.from, e.detail.to]);
    };
    assert.deepEqual(await ofH1(admin), []);
    assert.equal((await put({ capacity: 60 })).status, 200);
    assert.equal((await put({ admin_state: 'DISABLED' })).status, 200);
    assert.equal((await put({ admin_state: 'DISABLED', capacity: 50 })).status, 200);
    assert.equal((await put({ admin_state: 'ENABLED' })).status, 200);
    assert.deepEqual(await ofH1(admin), [
      ['ENABLED', 'DISABLED'],
      ['DISABLED', 'ENABLED'],
    ]);
    const [event] = (await admin('GET', '/v2/fulcrum/events?type=host.admin_state&sort=created_at:asc&limit=100')).body.events.filter((e: any) => e.detail.host_id === hosts.h1);
    assert.equal(event.project_id, null);
    assert.equal(event.detail.name, 'h1');
    assert.deepEqual(await ofH1(as('member')), [], 'a tenant does not see control-plane events');
  });

  test('load balancers spread evenly over the enabled hosts', async () => {
    const ids = [await lb(), await lb(), await lb(), await lb(), await lb(), await lb()];
    for (const id of ids) assert.equal(await settled(id), 'ACTIVE');
    const c = await counts();
    assert.deepEqual([c.h1, c.h2, c.h3], [2, 2, 2]);
    assert.equal(c.h4 + c.h5, 0, 'disabled hosts take none');
    const shown = (await admin('GET', `/v2/fulcrum/hosts/${hosts.h2}`)).body.host;
    assert.equal(shown.amphora_ids.length, 2);
  });

  test('the two amphorae of an ACTIVE_STANDBY pair never share a host; when they would have to, the fault says so', async () => {
    const pair = await lb({ flavor_id: asFlavor });
    assert.equal(await settled(pair), 'ACTIVE');
    const placed = await hostOf(pair);
    assert.equal(placed.length, 2);
    assert.notEqual(placed[0].host_id, placed[1].host_id);

    await admin('PUT', `/v2/fulcrum/hosts/${hosts.h2}`, { host: { admin_state: 'DISABLED' } });
    await admin('PUT', `/v2/fulcrum/hosts/${hosts.h3}`, { host: { admin_state: 'DISABLED' } });
    const lonely = await lb({ flavor_id: asFlavor });
    assert.equal(await settled(lonely), 'ERROR');
    const job = await app.rt.database.db.selectFrom('job').select('last_error').where('load_balancer_id', '=', lonely).orderBy('id', 'desc').executeTakeFirstOrThrow();
    assert.match(job.last_error ?? '', /anti-affinity cannot be honoured/);
    await admin('PUT', `/v2/fulcrum/hosts/${hosts.h2}`, { host: { admin_state: 'ENABLED' } });
    await admin('PUT', `/v2/fulcrum/hosts/${hosts.h3}`, { host: { admin_state: 'ENABLED' } });
    await admin('DELETE', `/v2/lbaas/loadbalancers/${lonely}`);
  });

  test('migrate moves one load balancer to the chosen host, and refuses what cannot be', async () => {
    const id = await lb();
    assert.equal(await settled(id), 'ACTIVE');
    const [before] = await hostOf(id);
    const to = Object.values(hosts).find((h) => h !== before.host_id)!;
    assert.equal((await admin('POST', `/v2/fulcrum/loadbalancers/${id}/migrate`, { host_id: to })).status, 202);
    assert.equal(await settled(id), 'ACTIVE');
    const [afterMove] = await hostOf(id);
    assert.equal(afterMove.host_id, to);
    assert.notEqual(afterMove.id, before.id);

    assert.equal((await admin('POST', `/v2/fulcrum/loadbalancers/${id}/migrate`, { host_id: to })).status, 409, 'already there');
    const disabled = (await admin('GET', '/v2/fulcrum/hosts?name=h4')).body.hosts[0].id;
    const refused = await admin('POST', `/v2/fulcrum/loadbalancers/${id}/migrate`, { host_id: disabled });
    assert.equal(refused.status, 409);
    assert.match(refused.body.faultstring, /admin_state is DISABLED/);
    assert.equal((await admin('POST', `/v2/fulcrum/loadbalancers/${id}/migrate`, { host_id: '00000000-0000-4000-8000-000000000000' })).status, 400);
    assert.equal((await admin('POST', `/v2/fulcrum/loadbalancers/${id}/migrate`, {})).status, 400);
    const pair = (await app.rt.database.db.selectFrom('load_balancer').select('id').where('topology', '=', 'ACTIVE_STANDBY').where('provisioning_status', '=', 'ACTIVE').executeTakeFirstOrThrow()).id;
    const needsAmphora = await admin('POST', `/v2/fulcrum/loadbalancers/${pair}/migrate`, { host_id: to });
    assert.equal(needsAmphora.status, 400);
    assert.match(needsAmphora.body.faultstring, /amphora_id/);
    assert.equal((await as('member')('POST', `/v2/fulcrum/loadbalancers/${id}/migrate`, { host_id: to })).status, 403);
  });

  test('a DRAINING host is emptied onto the others, pairs kept apart; then it can be deleted', async () => {
    const busy = await admin('DELETE', `/v2/fulcrum/hosts/${hosts.h1}`);
    assert.equal(busy.status, 409);
    assert.match(busy.body.faultstring, /Drain it first/);
    assert.ok((await counts()).h1 > 0);
    assert.equal((await admin('PUT', `/v2/fulcrum/hosts/${hosts.h1}`, { host: { admin_state: 'DRAINING' } })).status, 200);
    const deadline = Date.now() + 60_000;
    while ((await counts()).h1 > 0) {
      if (Date.now() > deadline) assert.fail(`host h1 still runs ${(await counts()).h1} amphorae`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const lbs = await app.rt.database.db.selectFrom('load_balancer').select(['id', 'topology', 'provisioning_status']).where('provisioning_status', '<>', 'DELETED').execute();
    for (const l of lbs) assert.equal(await settled(l.id), 'ACTIVE');
    for (const l of lbs.filter((x) => x.topology === 'ACTIVE_STANDBY')) {
      const placed = await hostOf(l.id);
      assert.equal(new Set(placed.map((p) => p.host_id)).size, 2, 'the pair is on two hosts after the drain');
      assert.ok(placed.every((p) => p.host_id !== hosts.h1));
    }
    assert.equal((await admin('DELETE', `/v2/fulcrum/hosts/${hosts.h1}`)).status, 204);
    assert.equal((await admin('GET', `/v2/fulcrum/hosts/${hosts.h1}`)).status, 404);
  });
});
