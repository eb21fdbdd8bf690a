// A whole amphora lost (its network namespace deleted, taking HAProxy, keepalived and its
// addresses with it) on the netns compute driver (root), with the health manager's automatic
// failover on and no API call after the deletion: the agent's heartbeat says the amphora cannot
// be healed, the health manager fails it over. ACTIVE_STANDBY: the BACKUP serves the VIP at once
// and the pair is rebuilt (two ALLOCATED amphorae, MASTER and BACKUP). SINGLE: a replacement
// serves the VIP again. Nothing is left behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestApp } from '../helpers/app.ts';
import { deleteAmphoraNamespace, httpGet } from '../helpers/netns.ts';
import { createHttpLb, namespaces, startNetnsApp, type NetnsApp } from '../helpers/netns-app.ts';

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface ApiAmphora {
  id: string;
  role: string;
  status: string;
}

describe('a deleted amphora namespace is failed over by the health manager', () => {
  let env: NetnsApp;
  let app: TestApp;

  const settle = (lbId: string) => env.settle(lbId, 60_000);
  const amphorae = async (lbId: string): Promise<ApiAmphora[]> => {
    const res = await app.request('GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`);
    assert.equal(res.status, 200);
    return res.body.amphorae.filter((a: ApiAmphora) => a.status !== 'DELETED');
  };
  const row = (id: string) => app.rt.database.db.selectFrom('amphora').select(['status', 'compute_id', 'fault']).where('id', '=', id).executeTakeFirstOrThrow();

  /** A load balancer with an HTTP listener on port 80 and the one member; returns its id and VIP. */
  const createLb = (extra: Record<string, unknown> = {}) => createHttpLb(env, { address: `${env.net}.201`, port: 8080 }, extra, 60_000);

  /** Deletes the amphora's namespace as an operator's mistake or a host fault would. */
  const loseNamespace = async (amphoraId: string) => deleteAmphoraNamespace((await row(amphoraId)).compute_id!);

  /** API calls made by this test after the loss: none may be a failover. */
  const failoverJobsBy = async (lbId: string) =>
    app.rt.database.db.selectFrom('job').select(['id', 'state', 'dedupe_key']).where('load_balancer_id', '=', lbId).where('dedupe_key', 'like', 'failover:%').execute();

  before(async () => {
    env = await startNetnsApp('e2e-netns-lost', {
      health: true,
      config: {
        defaultTopology: 'ACTIVE_STANDBY',
        autoFailover: true,
        heartbeatIntervalMs: 250,
        // Long enough that the failovers below come from the agent's report, not the timeout
        // (the recorded reason says which).
        heartbeatTimeoutMs: 20_000,
        jobMaxAttempts: 2,
      },
    });
    app = env.app;
    await env.members.add('m1', `${env.net}.201`, 8080);
  });

  after(async () => {
    await env?.close();
    if (env) assert.deepEqual((await namespaces()).filter((n) => n.startsWith(env.prefix)), [], 'no namespace left');
  });

  test('ACTIVE_STANDBY: the MASTER namespace deleted, the BACKUP serves and the pair is rebuilt with no API call', async () => {
    const { lbId, vip } = await createLb();
    const pair = await amphorae(lbId);
    assert.equal(pair.length, 2);
    const master = pair.find((a) => a.role === 'MASTER')!;
    const backup = pair.find((a) => a.role === 'BACKUP')!;
    assert.ok(master && backup, JSON.stringify(pair));
    // Heard from before the loss, so the health manager knows both.
    await until('heartbeats of both amphorae', 30_000, async () => (await app.rt.database.db.selectFrom('amphora_health').select('amphora_id').where('amphora_id', 'in', [master.id, backup.id]).execute()).length === 2);
    assert.deepEqual(await httpGet(`http://${vip}/`), { status: 200, body: 'm1' });

    const lostNs = await loseNamespace(master.id);
    await until('the VIP served by the BACKUP', 15_000, async () => (await httpGet(`http://${vip}/`, 500)).status === 200);

    await until('the pair rebuilt', 90_000, async () => {
      const now = await amphorae(lbId);
      const lb = (await app.request('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer;
      return lb.provisioning_status === 'ACTIVE' && now.length === 2 && !now.some((a) => a.id === master.id);
    });
    const rebuilt = await amphorae(lbId);
    assert.equal(rebuilt.length, 2, JSON.stringify(rebuilt));
    assert.deepEqual(rebuilt.map((a) => a.status), ['ALLOCATED', 'ALLOCATED']);
    assert.deepEqual(rebuilt.map((a) => a.role).sort(), ['BACKUP', 'MASTER']);
    assert.equal(rebuilt.find((a) => a.role === 'MASTER')!.id, backup.id, 'the survivor is the MASTER');
    const lost = await row(master.id);
    assert.equal(lost.status, 'DELETED');
    assert.match(lost.fault ?? '', /agent cannot restart or reach HAProxy \(netns_missing\)/);
    const jobs = await failoverJobsBy(lbId);
    assert.equal(jobs.length, 1, 'one failover, queued by the health manager');
    assert.equal(jobs[0].dedupe_key, `failover:${master.id}`);
    assert.equal(jobs[0].state, 'succeeded');
    assert.ok(!(await namespaces()).includes(lostNs));
    assert.deepEqual(await httpGet(`http://${vip}/`), { status: 200, body: 'm1' });
  });

  test('SINGLE: the namespace deleted, a replacement serves the VIP with no API call', async () => {
    const p = await app.request('POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'single', provider_name: 'amphora', flavor_data: JSON.stringify({ loadbalancer_topology: 'SINGLE' }) } });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const f = await app.request('POST', '/v2/lbaas/flavors', { flavor: { name: 'single', flavor_profile_id: p.body.flavorprofile.id } });
    assert.equal(f.status, 201, JSON.stringify(f.body));
    const { lbId, vip } = await createLb({ flavor_id: f.body.flavor.id });
    const [only, ...rest] = await amphorae(lbId);
    assert.equal(rest.length, 0);
    assert.equal(only.role, 'STANDALONE');
    await until('a heartbeat of the amphora', 30_000, async () => !!(await app.rt.database.db.selectFrom('amphora_health').select('amphora_id').where('amphora_id', '=', only.id).executeTakeFirst()));
    assert.deepEqual(await httpGet(`http://${vip}/`), { status: 200, body: 'm1' });

    const lostNs = await loseNamespace(only.id);
    await until('a replacement serving the VIP', 90_000, async () => {
      const now = await amphorae(lbId);
      return now.length === 1 && now[0].id !== only.id && (await httpGet(`http://${vip}/`, 500)).status === 200;
    });
    await settle(lbId);
    const [replacement, ...more] = await amphorae(lbId);
    assert.equal(more.length, 0);
    assert.equal(replacement.status, 'ALLOCATED');
    const lost = await row(only.id);
    assert.equal(lost.status, 'DELETED');
    assert.match(lost.fault ?? '', /agent cannot restart or reach HAProxy \(netns_missing\)/);
    const jobs = await failoverJobsBy(lbId);
    assert.equal(jobs.length, 1, 'one failover, queued by the health manager');
    assert.equal(jobs[0].state, 'succeeded');
    assert.ok(!(await namespaces()).includes(lostNs));
    assert.deepEqual(await httpGet(`http://${vip}/`), { status: 200, body: 'm1' });
  });
});
