// The amphora provider on the noop compute driver (FULCRUM_COMPUTE_DRIVER=noop) with the noop
// network driver, through the whole API: load balancer tree, amphora records with their role
// and status, the operator amphora API (list, show, stats, config push, failover), LB failover
// and delete, while the health poller runs. Nothing may be started: no agent, no HAProxy, no
// file under the data directory, no process naming it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const AMPHORAE = '/v2/octavia/amphorae';

/** Processes whose command line names `dir` (an agent or HAProxy of this data directory would). */
function processesNaming(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(dir)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('amphora provider on the noop compute driver', () => {
  let app: TestApp;
  let dataDir: string;
  let lbId: string;
  let listenerId: string;
  let memberId: string;
  const subnetId = randomUUID();

  const lbPath = () => `/v2/lbaas/loadbalancers/${lbId}`;
  const settle = async () => assert.equal((await app.waitFor(lbPath(), 'loadbalancer', ['ACTIVE', 'ERROR'])).provisioning_status, 'ACTIVE');
  const amphoraeOf = async () => (await app.request('GET', `${AMPHORAE}?loadbalancer_id=${lbId}`)).body.amphorae as any[];
  const jobsOf = (kind: string) => app.rt.database.db.selectFrom('job').select(['state', 'attempts', 'last_error']).where('kind', '=', kind).execute();

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-noop-dp-'));
    app = await startTestApp('pglite', {
      health: true,
      config: { defaultProvider: 'amphora', computeDriver: 'noop', networkDriver: 'noop', dataDir, healthPollMs: 100, jobMaxAttempts: 2 },
    });
  });

  after(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the provider keeps its name, alias and capabilities', async () => {
    const providers = (await app.request('GET', '/v2/lbaas/providers')).body.providers.map((p: any) => p.name);
    assert.ok(providers.includes('amphora') && providers.includes('octavia'), JSON.stringify(providers));
    const caps = (await app.request('GET', '/v2/lbaas/providers/amphora/flavor_capabilities')).body.flavor_capabilities.map((c: any) => c.name);
    assert.ok(caps.includes('loadbalancer_topology'), JSON.stringify(caps));
    const zones = (await app.request('GET', '/v2/lbaas/providers/octavia/availability_zone_capabilities')).body.availability_zone_capabilities.map((c: any) => c.name);
    assert.ok(zones.includes('compute_zone'), JSON.stringify(zones));
  });

  test('a load balancer on any subnet UUID gets a STANDALONE amphora, and its tree goes ACTIVE', async () => {
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnetId, provider: 'octavia' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    lbId = created.body.loadbalancer.id;
    assert.equal(created.body.loadbalancer.provider, 'octavia');
    await settle();
    const amphorae = await amphoraeOf();
    assert.equal(amphorae.length, 1);
    assert.equal(amphorae[0].role, 'STANDALONE');
    assert.equal(amphorae[0].status, 'ALLOCATED');
    assert.equal(amphorae[0].compute_id, `noop:${amphorae[0].id}`);
    assert.match(amphorae[0].lb_network_ip, /^192\.0\.2\.\d+$/);
    assert.equal(amphorae[0].ha_ip, created.body.loadbalancer.vip_address);

    const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } });
    assert.equal(listener.status, 201, JSON.stringify(listener.body));
    listenerId = listener.body.listener.id;
    await settle();
    const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listenerId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    await settle();
    const poolId = pool.body.pool.id;
    const member = await app.request('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: '203.0.113.7', protocol_port: 8080, subnet_id: randomUUID() } });
    assert.equal(member.status, 201, JSON.stringify(member.body));
    memberId = member.body.member.id;
    await settle();
    const hm = await app.request('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: poolId, type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 } });
    assert.equal(hm.status, 201, JSON.stringify(hm.body));
    await settle();
  });

  test('the health manager reports the tree ONLINE from heartbeats made for noop amphorae, not broken, and records zero statistics', async () => {
    const tree = await until('the member to be ONLINE', async () => {
      const t = (await app.request('GET', `${lbPath()}/status`)).body.statuses.loadbalancer;
      return t.listeners[0]?.pools[0]?.members[0]?.operating_status === 'ONLINE' ? t : null;
    });
    assert.equal(tree.operating_status, 'ONLINE');
    assert.equal(tree.listeners[0].operating_status, 'ONLINE');
    assert.equal(tree.listeners[0].pools[0].operating_status, 'ONLINE');
    assert.equal(tree.listeners[0].pools[0].members[0].id, memberId);
    // Several more polls: nothing turns ERROR or OFFLINE, the amphora stays ALLOCATED.
    await new Promise((r) => setTimeout(r, 500));
    const again = (await app.request('GET', `${lbPath()}/status`)).body.statuses.loadbalancer;
    assert.equal(again.operating_status, 'ONLINE');
    assert.equal(again.listeners[0].pools[0].members[0].operating_status, 'ONLINE');
    const [amphora] = await amphoraeOf();
    assert.equal(amphora.status, 'ALLOCATED');

    const stats = await until('amphora statistics', async () => {
      const res = await app.request('GET', `${AMPHORAE}/${amphora.id}/stats`);
      return res.status === 200 ? res.body.amphora_stats : null;
    });
    assert.equal(stats.length, 1);
    assert.equal(stats[0].listener_id, listenerId);
    assert.equal(stats[0].loadbalancer_id, lbId);
    assert.equal(stats[0].total_connections, 0);
    assert.equal(stats[0].bytes_in, 0);
  });

  test('show, config push and amphora failover run their flows', async () => {
    const [before] = await amphoraeOf();
    const shown = await app.request('GET', `${AMPHORAE}/${before.id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.amphora.loadbalancer_id, lbId);
    assert.equal(shown.body.amphora.role, 'STANDALONE');

    assert.equal((await app.request('PUT', `${AMPHORAE}/${before.id}/config`)).status, 202);
    const pushes = await until('the config push to finish', async () => {
      const jobs = await jobsOf('amphora-config');
      return jobs.length > 0 && jobs.every((j) => j.state === 'succeeded' || j.state === 'failed') ? jobs : null;
    });
    assert.deepEqual(pushes.map((j) => [j.state, j.attempts, j.last_error]), [['succeeded', 1, null]]);

    assert.equal((await app.request('PUT', `${AMPHORAE}/${before.id}/failover`)).status, 202);
    await settle();
    const after = await amphoraeOf();
    assert.equal(after.length, 1, 'the replaced amphora is gone from the list');
    assert.notEqual(after[0].id, before.id);
    assert.equal(after[0].role, 'STANDALONE');
    assert.equal(after[0].status, 'ALLOCATED');
    assert.equal((await app.request('GET', `${AMPHORAE}/${before.id}`)).status, 404);
  });

  test('load balancer failover replaces the amphora; delete takes it away', async () => {
    const [before] = await amphoraeOf();
    assert.equal((await app.request('PUT', `${lbPath()}/failover`)).status, 202);
    await settle();
    const after = await amphoraeOf();
    assert.equal(after.length, 1);
    assert.notEqual(after[0].id, before.id);

    assert.equal((await app.request('DELETE', `${lbPath()}?cascade=true`)).status, 204);
    await app.waitFor(lbPath(), 'loadbalancer', ['DELETED']);
    assert.deepEqual(await amphoraeOf(), []);
    const failed = await app.rt.database.db.selectFrom('job').select(['kind', 'last_error']).where('state', '<>', 'succeeded').execute();
    assert.deepEqual(failed, [], 'every job succeeded at its first try');
  });

  test('nothing was started: no agent directory, no process naming the data directory', () => {
    assert.equal(existsSync(join(dataDir, 'agent')), false);
    assert.deepEqual(readdirSync(dataDir), []);
    assert.deepEqual(processesNaming(dataDir), []);
  });
});
