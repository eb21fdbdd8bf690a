// Provider contract on both back ends: the enabled providers with descriptions (the `octavia`
// alias included), flavor and availability-zone capabilities with their filters, and the
// 400 / 501 answers for providers that are not enabled, not loadable or without flavor support.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { ProviderDriver } from '../../src/providers/driver.ts';

const PROVIDERS = '/v2/lbaas/providers';

// A vendor-style driver that supports no flavors or zones.
const bare: ProviderDriver = { name: 'bare', description: 'A driver without flavors.', checkSupport() {}, plan: () => [] };

for (const backend of BACKENDS) {
  describe(`providers (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend, {
        worker: false,
        config: { enabledProviders: ['amphora', 'octavia', 'noop', 'bare', 'ghost'] },
        drivers: () => [bare],
      });
    });
    after(async () => app?.close());

    test('lists the enabled providers; octavia shows as a deprecated alias', async () => {
      const res = await app.request('GET', PROVIDERS);
      assert.equal(res.status, 200);
      const byName = Object.fromEntries(res.body.providers.map((p: any) => [p.name, p.description]));
      assert.deepEqual(Object.keys(byName), ['amphora', 'octavia', 'noop', 'bare'], 'a provider nothing implements is left out');
      assert.equal(byName.octavia, 'Deprecated alias of the amphora driver.');
      assert.match(byName.amphora, /amphora/);
      assert.equal(byName.bare, 'A driver without flavors.');
      assert.equal(res.body.providers_links, undefined, 'no pagination links');
      const names = await app.request('GET', `${PROVIDERS}?fields=name`);
      assert.deepEqual(names.body.providers[0], { name: 'amphora' });
    });

    test('amphora flavor and availability-zone capabilities', async () => {
      const flavor = await app.request('GET', `${PROVIDERS}/amphora/flavor_capabilities`);
      assert.equal(flavor.status, 200);
      assert.deepEqual(
        flavor.body.flavor_capabilities.map((c: any) => c.name),
        ['loadbalancer_topology', 'compute_flavor', 'amp_image_tag', 'sriov_vip', 'allow_member_sriov', 'protection'],
      );
      assert.ok(flavor.body.flavor_capabilities.every((c: any) => typeof c.description === 'string' && c.description.length > 0));
      const az = await app.request('GET', `${PROVIDERS}/octavia/availability_zone_capabilities`);
      assert.equal(az.status, 200);
      assert.deepEqual(
        az.body.availability_zone_capabilities.map((c: any) => c.name),
        ['compute_zone', 'volume_zone', 'management_network', 'valid_vip_networks'],
      );
    });

    test('name= and description= filter the capabilities; fields selects; other parameters are a 400', async () => {
      const one = await app.request('GET', `${PROVIDERS}/amphora/flavor_capabilities?name=sriov_vip&fields=name`);
      assert.deepEqual(one.body.flavor_capabilities, [{ name: 'sriov_vip' }]);
      const none = await app.request('GET', `${PROVIDERS}/amphora/flavor_capabilities?description=nope`);
      assert.deepEqual(none.body.flavor_capabilities, []);
      assert.equal((await app.request('GET', `${PROVIDERS}/amphora/flavor_capabilities?colour=red`)).status, 400);
    });

    test('the noop provider supports flavors and zones', async () => {
      const res = await app.request('GET', `${PROVIDERS}/noop/flavor_capabilities`);
      assert.equal(res.status, 200);
      assert.ok(res.body.flavor_capabilities.length > 0);
      assert.equal((await app.request('GET', `${PROVIDERS}/noop/availability_zone_capabilities`)).status, 200);
    });

    test('a provider that is not enabled is a 400; enabled but not loadable, or without flavor support, a 501', async () => {
      const off = await app.request('GET', `${PROVIDERS}/nosuch/flavor_capabilities`);
      assert.equal(off.status, 400);
      assert.equal(off.body.faultstring, "Provider 'nosuch' is not enabled.");
      const ghost = await app.request('GET', `${PROVIDERS}/ghost/availability_zone_capabilities`);
      assert.equal(ghost.status, 501);
      assert.equal(ghost.body.faultstring, "Provider 'ghost' was not found.");
      const flavorless = await app.request('GET', `${PROVIDERS}/bare/flavor_capabilities`);
      assert.equal(flavorless.status, 501);
      assert.match(flavorless.body.faultstring, /^Provider 'bare' does not support a requested action: .*flavor metadata/);
      assert.equal((await app.request('GET', `${PROVIDERS}/bare/availability_zone_capabilities`)).status, 501);
    });
  });
}
