// The spare pool (FULCRUM_SPARE_POOL_SIZE per availability zone) on both back ends, on the noop
// compute driver (the pool logic is the same whatever places the amphorae): housekeeping fills
// it per zone and not beyond, also when two keepers run at once; a create takes a spare of its
// zone instead of booting, concurrent creates never share one; an amphora failover takes a spare
// as the replacement; housekeeping tops the pool up again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { BACKENDS } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { SparePoolKeeper } from '../../src/housekeeping/spare-pool-keeper.ts';
import { createLogger } from '../../src/observability/logger.ts';

const AMPHORAE = '/v2/octavia/amphorae';

for (const backend of BACKENDS) {
  describe(`spare amphora pool (${backend})`, () => {
    let app: TestApp;
    let dataDir: string;
    let keeper: SparePoolKeeper;
    let otherKeeper: SparePoolKeeper;
    const subnet = randomUUID();

    const spares = async (zone: string | null = null) =>
      (await app.rt.database.db
        .selectFrom('amphora')
        .select('id')
        .where('status', '=', 'READY')
        .where('load_balancer_id', 'is', null)
        .where((eb) => (zone === null ? eb('cached_zone', 'is', null) : eb('cached_zone', '=', zone)))
        .orderBy('id')
        .execute()).map((r) => r.id);
    const amphoraeOf = async (lbId: string) => (await app.request('GET', `${AMPHORAE}?loadbalancer_id=${lbId}`)).body.amphorae as any[];
    const createLb = async (extra: Record<string, unknown> = {}) => {
      const res = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnet, ...extra } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.loadbalancer.id as string;
    };
    const settle = async (id: string) =>
      assert.equal((await app.waitFor(`/v2/lbaas/loadbalancers/${id}`, 'loadbalancer', ['ACTIVE', 'ERROR'])).provisioning_status, 'ACTIVE');

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-spares-'));
      app = await startTestApp(backend, { config: { defaultProvider: 'amphora', computeDriver: 'noop', networkDriver: 'noop', dataDir } });
      const deps = { db: app.rt.database.db, dataPlane: app.rt.dataPlane };
      const log = createLogger(process.env.FULCRUM_TEST_LOG ?? 'silent');
      keeper = new SparePoolKeeper(deps, 2, 60_000, log);
      otherKeeper = new SparePoolKeeper(deps, 2, 60_000, log);
      const profile = await app.request('POST', '/v2/lbaas/availabilityzoneprofiles', {
        availability_zone_profile: { name: 'az1-profile', provider_name: 'amphora', availability_zone_data: '{"compute_zone":"az1"}' },
      });
      assert.equal(profile.status, 201, JSON.stringify(profile.body));
      const zone = await app.request('POST', '/v2/lbaas/availabilityzones', { availability_zone: { name: 'az1', availability_zone_profile_id: profile.body.availability_zone_profile.id } });
      assert.equal(zone.status, 201, JSON.stringify(zone.body));
    });

    after(async () => {
      await app?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test('housekeeping fills the pool per zone, and two keepers at once do not overfill it', async () => {
      const booted = await Promise.all([keeper.fillOnce(), otherKeeper.fillOnce()]);
      assert.equal(booted[0] + booted[1], 4, `two spares for each of two zones, booted ${booted}`);
      assert.equal((await spares(null)).length, 2);
      assert.equal((await spares('az1')).length, 2);
      assert.equal(await keeper.fillOnce(), 0, 'a full pool boots nothing');
      const listed = (await app.request('GET', `${AMPHORAE}?status=READY`)).body.amphorae;
      assert.equal(listed.length, 4);
      assert.ok(listed.every((a: any) => a.loadbalancer_id === null && a.role === null && a.compute_id === `noop:${a.id}`), JSON.stringify(listed));
    });

    test('a create takes a spare of its zone instead of booting one', async () => {
      const pool = await spares('az1');
      const id = await createLb({ availability_zone: 'az1' });
      await settle(id);
      const [amphora, ...more] = await amphoraeOf(id);
      assert.equal(more.length, 0);
      assert.ok(pool.includes(amphora.id), 'the amphora is one of the zone spares');
      assert.equal(amphora.status, 'ALLOCATED');
      assert.equal(amphora.role, 'STANDALONE');
      assert.equal(amphora.ha_ip, (await app.request('GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer.vip_address);
      assert.deepEqual(await spares('az1'), pool.filter((s) => s !== amphora.id));
      assert.equal((await spares(null)).length, 2, 'the default zone kept its spares');
    });

    test('concurrent creates never share a spare; the one without a spare boots its own', async () => {
      const pool = await spares(null);
      assert.equal(pool.length, 2);
      const ids = await Promise.all([createLb(), createLb(), createLb()]);
      for (const id of ids) await settle(id);
      const amphorae = (await Promise.all(ids.map(amphoraeOf))).map((list) => {
        assert.equal(list.length, 1);
        return list[0].id as string;
      });
      assert.equal(new Set(amphorae).size, 3);
      assert.deepEqual(amphorae.filter((a) => pool.includes(a)).sort(), [...pool].sort(), 'both spares were taken, each once');
      assert.deepEqual(await spares(null), []);
    });

    test('housekeeping tops the pool up; an amphora failover takes a spare as the replacement', async () => {
      assert.equal(await keeper.fillOnce(), 3, 'two for the default zone, one for az1');
      const pool = await spares(null);
      const id = await createLb();
      await settle(id);
      const [before] = await amphoraeOf(id);
      assert.ok(pool.includes(before.id));
      const left = await spares(null);
      assert.equal(left.length, 1);
      assert.equal((await app.request('PUT', `${AMPHORAE}/${before.id}/failover`)).status, 202);
      await settle(id);
      const after = await amphoraeOf(id);
      assert.equal(after.length, 1);
      assert.equal(after[0].id, left[0], 'the replacement is the remaining spare');
      assert.equal(after[0].status, 'ALLOCATED');
      assert.equal((await app.request('GET', `${AMPHORAE}/${before.id}`)).status, 404, 'the replaced amphora is gone');
      assert.deepEqual(await spares(null), []);
    });
  });
}
