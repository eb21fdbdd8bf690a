// Fault injection into the amphora create flow: the compute driver places the amphora, then
// its agent registration fails on every attempt. The boot step's own revert must remove the
// place it made (before, only the allocate step's revert ran, marking the row DELETED and
// leaking the process or namespace). The data plane is the noop one, wrapped to record what
// was placed and removed and to fail registration: the fault is injected, the flow is real.
// Also: a VIP outside its own subnet (written behind the API's back) fails at the first attempt.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { ComputeDriver } from '../../src/compute/compute-driver.ts';
import type { AmphoraAgents } from '../../src/providers/amphora/amphora-agents.ts';

describe('a boot that fails after the amphora was placed', () => {
  let app: TestApp;
  let dataDir: string;
  const placed: string[] = [];
  const removed: string[] = [];
  let registrations = 0;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-partial-boot-'));
    app = await startTestApp('pglite', {
      config: { defaultProvider: 'amphora', computeDriver: 'noop', networkDriver: 'noop', dataDir, jobMaxAttempts: 2 },
    });
    const plane = app.rt.dataPlane;
    const compute = await plane.compute();
    const agents = await plane.agents();
    const recording: ComputeDriver = {
      name: compute.name,
      placesOnHosts: compute.placesOnHosts,
      async createAmphora(spec) {
        const placement = await compute.createAmphora(spec);
        if (!placed.includes(placement.computeId)) placed.push(placement.computeId);
        return placement;
      },
      plugVips: (id, vips) => compute.plugVips(id, vips),
      async deleteAmphora(amphoraId, computeId) {
        removed.push(computeId);
        await compute.deleteAmphora(amphoraId, computeId);
      },
      close: () => compute.close(),
    };
    const failingRegistration: AmphoraAgents = {
      ping: (...args) => agents.ping(...args),
      async register() {
        registrations++;
        throw new Error('amphora agent is unreachable (injected)');
      },
      applyHaproxy: (...args) => agents.applyHaproxy(...args),
      applyKeepalived: (...args) => agents.applyKeepalived(...args),
      applyL4: (...args) => agents.applyL4(...args),
      remove: (...args) => agents.remove(...args),
      hosted: (...args) => agents.hosted(...args),
      stats: (...args) => agents.stats(...args),
      addresses: (...args) => agents.addresses(...args),
      crash: (...args) => agents.crash(...args),
      logs: (...args) => agents.logs(...args),
      heartbeatDigest: (...args) => agents.heartbeatDigest(...args),
      configureHeartbeat: (...args) => agents.configureHeartbeat(...args),
      sources: (...args) => agents.sources(...args),
      probe: (...args) => agents.probe(...args),
    };
    plane.compute = async () => recording;
    plane.agents = async () => failingRegistration;
  });

  after(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the load balancer goes to ERROR and the placed amphora is removed', async () => {
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: randomUUID() } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.loadbalancer.id;
    const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${id}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 20_000);
    assert.equal(lb.provisioning_status, 'ERROR');
    assert.equal(registrations, 2, 'both attempts reached the registration');
    assert.equal(placed.length, 1, 'the retried placement found the same place');
    assert.deepEqual(removed, placed, 'the place made before the failure was removed');
    const rows = await app.rt.database.db.selectFrom('amphora').select(['status', 'compute_id']).where('load_balancer_id', '=', id).execute();
    assert.deepEqual(rows, [{ status: 'DELETED', compute_id: placed[0] }]);
    const steps = await app.rt.database.db
      .selectFrom('job_step')
      .innerJoin('job', 'job.id', 'job_step.job_id')
      .select(['job_step.step', 'job_step.reverted'])
      .where('job.load_balancer_id', '=', id)
      .orderBy('job_step.step')
      .execute();
    assert.deepEqual(steps, [
      { step: 'amphora:allocate', reverted: true },
      { step: 'amphora:boot', reverted: true },
    ]);
    const [job] = (await app.request('GET', `/v2/fulcrum/jobs?load_balancer_id=${id}`)).body.jobs;
    assert.deepEqual([job.state, job.phase, job.attempts, job.revert_attempts], ['failed', 'reverting', 2, 0]);
    assert.match(job.last_error, /amphora agent is unreachable \(injected\)/);
  });
});

describe('a VIP address outside its subnet', () => {
  let app: TestApp;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-vip-subnet-'));
    app = await startTestApp('pglite', { config: { defaultProvider: 'amphora', computeDriver: 'noop', networkDriver: 'local', dataDir, jobMaxAttempts: 5 } });
  });

  after(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('fails the create on its first attempt, the fault naming address and subnet', async () => {
    const network = (await app.request('POST', '/v2/fulcrum/networks', { network: { name: 'vips' } })).body.network;
    const subnet = (await app.request('POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.id, cidr: '10.98.0.0/24' } })).body.subnet;
    await app.setWorker(false);
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnet.id } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.loadbalancer.id;
    // The API never allocates such an address; a row changed behind its back does have one.
    await app.rt.database.db.updateTable('load_balancer').set({ vip_address: '10.99.0.5' }).where('id', '=', id).execute();
    await app.setWorker(true);
    const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${id}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 20_000);
    assert.equal(lb.provisioning_status, 'ERROR');
    const jobs = await app.rt.database.db.selectFrom('job').select(['attempts', 'last_error']).where('load_balancer_id', '=', id).execute();
    assert.deepEqual(jobs, [{ attempts: 1, last_error: `VIP address 10.99.0.5 does not belong to its subnet ${subnet.id} (10.98.0.0/24)` }]);
  });
});
