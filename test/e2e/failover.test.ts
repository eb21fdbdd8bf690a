// Failover end to end on the process compute driver: while a client keeps sending requests to
// the VIP, an LB failover and then an amphora failover each replace the amphora (a new HAProxy
// takes the VIP, the old one is gone) and the load balancer comes back ACTIVE; a config push
// re-renders and reloads; a failover that cannot complete leaves the LB in ERROR with the reason
// and the old amphora still serving.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApp } from '../helpers/app.ts';
import { startProcessAmphoraApp, type AmphoraApp } from '../helpers/amphora-app.ts';
import { fetchText, startBackend, type Backend } from '../helpers/data-plane.ts';
import { httpGet } from '../helpers/netns.ts';
import { showProc } from '../../src/agent/master-cli.ts';
import { pidRunning } from '../../src/agent/process-table.ts';

const MAX_REQUESTS = 20_000;
const MAX_LOAD_MS = 60_000;

/** Sequential GETs, a new connection each, until stopped or a bound; counts what failed. */
function startLoad(url: string): { stop(): Promise<{ ok: number; failures: string[] }> } {
  const result = { ok: 0, failures: [] as string[] };
  const deadline = Date.now() + MAX_LOAD_MS;
  let stopping = false;
  const loop = (async () => {
    for (let i = 0; i < MAX_REQUESTS && !stopping && Date.now() < deadline; i++) {
      try {
        const res = await httpGet(url, 2000);
        if (res.status === 200) result.ok++;
        else result.failures.push(`HTTP ${res.status}`);
      } catch (err) {
        result.failures.push((err as Error).message);
      }
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return result;
    },
  };
}


describe('failover on the process compute driver', () => {
  let env: AmphoraApp;
  let app: TestApp;
  let backend: Backend;
  let lbId: string;
  let url: string;

  const lbPath = () => `/v2/lbaas/loadbalancers/${lbId}`;
  const settle = () => app.waitFor(lbPath(), 'loadbalancer', ['ACTIVE', 'ERROR'], 60_000);
  const live = () =>
    app.rt.database.db.selectFrom('amphora').selectAll().where('load_balancer_id', '=', lbId).where('status', '<>', 'DELETED').execute();
  const masterPid = async (runDir: string) => Number(readFileSync(join(runDir, 'haproxy.pid'), 'utf8').trim());

  before(async () => {
    // Two attempts, each waiting a second for the agent: the failure case below should not wait
    // through five back-offs nor a restart's full patience. No watchdog: the failure case kills
    // the agent and needs it to stay away.
    env = await startProcessAmphoraApp('failover', [250, 253], 300, { jobMaxAttempts: 2, localAgentWatchMs: 0, failoverAgentWaitMs: 1000 });
    app = env.app;
    backend = await startBackend('be');
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: env.subnetId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    lbId = created.body.loadbalancer.id;
    assert.equal((await settle()).provisioning_status, 'ACTIVE');
    const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 8080 } });
    await settle();
    const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    await settle();
    await app.request('POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: '127.0.0.1', protocol_port: backend.port } });
    assert.equal((await settle()).provisioning_status, 'ACTIVE');
    url = `http://${created.body.loadbalancer.vip_address}:8080/`;
    assert.equal(await fetchText(url), 'be');
  });

  after(async () => {
    await env?.close();
    await backend?.close();
  });

  async function failoverUnderLoad(path: string) {
    const [old] = await live();
    const oldPid = await masterPid(old.run_dir!);
    const load = startLoad(url);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const res = await app.request('PUT', path);
    assert.equal(res.status, 202);
    const lb = await settle();
    const elapsed = Date.now() - started;
    await new Promise((r) => setTimeout(r, 200));
    const { ok, failures } = await load.stop();
    assert.equal(lb.provisioning_status, 'ACTIVE', JSON.stringify(lb));
    const amphorae = await live();
    assert.equal(amphorae.length, 1, 'one amphora serves the LB');
    const [replacement] = amphorae;
    assert.notEqual(replacement.id, old.id, 'the amphora was replaced');
    assert.equal(replacement.status, 'ALLOCATED');
    assert.equal(replacement.role, 'STANDALONE');
    const gone = await app.rt.database.db.selectFrom('amphora').select('status').where('id', '=', old.id).executeTakeFirstOrThrow();
    assert.equal(gone.status, 'DELETED');
    assert.equal(pidRunning(oldPid), false, 'the old HAProxy is stopped');
    const newPid = await masterPid(replacement.run_dir!);
    assert.ok(pidRunning(newPid));
    assert.equal(await fetchText(url), 'be', 'the new amphora serves the VIP');
    assert.ok(ok > 0, 'requests were served during the failover');
    return { failures, ok, elapsed, replacement };
  }

  test('LB failover: a new amphora takes over the VIP while requests keep flowing', async (t) => {
    const { failures, ok, elapsed } = await failoverUnderLoad(`${lbPath()}/failover`);
    // How long it takes is measured in bench/failover.ts; here it is only reported.
    t.diagnostic(`failover took ${elapsed} ms`);
    // The old HAProxy is stopped only once the new one listens on the VIP (SO_REUSEPORT), so
    // at most the connections queued on the old listener when it closes can fail.
    assert.ok(failures.length <= 3, `${failures.length} of ${ok + failures.length} requests failed: ${failures.slice(0, 5).join('; ')}`);
  });

  test('amphora failover replaces that amphora; the amphora API shows the replacement', async () => {
    const [old] = await live();
    const { failures, replacement } = await failoverUnderLoad(`/v2/octavia/amphorae/${old.id}/failover`);
    assert.ok(failures.length <= 3, failures.join('; '));
    const shown = await app.request('GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`);
    assert.deepEqual(shown.body.amphorae.map((a: any) => [a.id, a.status, a.role, a.ha_ip]), [[replacement.id, 'ALLOCATED', 'STANDALONE', replacement.ha_ip]]);
    assert.equal((await app.request('GET', `/v2/octavia/amphorae/${old.id}`)).status, 404);
  });

  test('config push re-renders the amphora from the database and reloads it', async () => {
    const [amphora] = await live();
    const config = join(amphora.run_dir!, 'haproxy.cfg');
    const before = (await showProc(join(amphora.run_dir!, 'master.sock'))).workers;
    // A change the amphora has not been told about (as after a lost push): only a re-render brings it.
    await app.rt.database.db.updateTable('member').set({ weight: 7 }).execute();
    assert.doesNotMatch(readFileSync(config, 'utf8'), /weight 7/);
    const res = await app.request('PUT', `/v2/octavia/amphorae/${amphora.id}/config`);
    assert.equal(res.status, 202);
    const deadline = Date.now() + 30_000;
    let job;
    do {
      job = await app.rt.database.db.selectFrom('job').select(['state', 'last_error']).where('kind', '=', 'amphora-config').orderBy('id', 'desc').executeTakeFirstOrThrow();
      if (job.state === 'succeeded' || job.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < deadline);
    assert.equal(job.state, 'succeeded', job.last_error ?? '');
    assert.match(readFileSync(config, 'utf8'), /weight 7/);
    const afterPush = (await showProc(join(amphora.run_dir!, 'master.sock'))).workers;
    assert.notDeepEqual(afterPush, before, 'HAProxy reloaded with the pushed configuration');
    assert.equal(await fetchText(url), 'be');
  });

  test('a failover that cannot complete: LB ERROR with the reason, the old amphora keeps serving', async () => {
    const [old] = await live();
    // The host's agent is gone: a replacement can be neither registered nor started.
    const agentPid = Number(readFileSync(join(env.dataDir, 'agent', 'agent.pid'), 'utf8').trim());
    process.kill(agentPid, 'SIGKILL');
    while (pidRunning(agentPid)) await new Promise((r) => setTimeout(r, 20));
    const res = await app.request('PUT', `${lbPath()}/failover`);
    assert.equal(res.status, 202);
    const lb = await settle();
    assert.equal(lb.provisioning_status, 'ERROR');
    const row = await app.rt.database.db.selectFrom('load_balancer').select('fault').where('id', '=', lbId).executeTakeFirstOrThrow();
    assert.match(row.fault ?? '', /unreachable/, 'the reason is stored');
    const amphorae = await live();
    assert.deepEqual(amphorae.map((a) => [a.id, a.status]), [[old.id, 'ALLOCATED']], 'the replacement was reverted');
    assert.equal(await fetchText(url), 'be', 'the old amphora still serves the VIP');
  });
});
