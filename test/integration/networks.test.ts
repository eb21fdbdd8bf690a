// Fulcrum's own IPAM: networks and subnets through the management API, VIPs allocated from
// them by the local network driver, released when the load balancer is deleted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

for (const backend of BACKENDS) {
  describe(`networks and VIP allocation (${backend})`, () => {
    let app: TestApp;
    let network: any;
    let subnet: any;
    before(async () => {
      app = await startTestApp(backend, { config: { networkDriver: 'local' } });
      network = (await app.request('POST', '/v2/fulcrum/networks', { network: { name: 'tiny' } })).body.network;
      subnet = (await app.request('POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.id, name: 'tiny', cidr: '127.77.0.5/30' } })).body.subnet;
    });
    after(async () => app?.close());

    test('subnets are listed in network form and belong to their network', async () => {
      assert.equal(subnet.cidr, '127.77.0.4/30');
      assert.equal(subnet.ip_version, 4);
      const subnets = await app.request('GET', `/v2/fulcrum/subnets?network_id=${network.id}`);
      assert.deepEqual(subnets.body.subnets.map((s: any) => s.id), [subnet.id]);
      const networks = await app.request('GET', '/v2/fulcrum/networks');
      assert.deepEqual(networks.body.networks.find((n: any) => n.id === network.id).subnets, [subnet.id]);
      const bad = await app.request('POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.id, cidr: '10.0.0.0/33' } });
      assert.equal(bad.status, 400);
    });

    test('VIPs come from the subnet, run out with a 400, and come back when the LB is deleted', async () => {
      const create = (extra: Record<string, unknown> = {}) => app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnet.id, ...extra } });
      const a = await create();
      assert.equal(a.status, 201);
      assert.equal(a.body.loadbalancer.vip_address, '127.77.0.5');
      assert.equal(a.body.loadbalancer.vip_network_id, network.id);
      const b = await create({ vip_address: '127.77.0.6' });
      assert.equal(b.body.loadbalancer.vip_address, '127.77.0.6');
      const full = await create();
      assert.equal(full.status, 400);
      assert.match(full.body.faultstring, /does not contain enough available IPs/);
      const taken = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_network_id: network.id, vip_address: '127.77.0.5' } });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.faultstring, 'The VIP IP address is already in use: 127.77.0.5');
      const outside = await create({ vip_address: '127.78.0.1' });
      assert.equal(outside.status, 400);
      const unknown = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: '00000000-0000-4000-8000-000000000009' } });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.faultstring, 'Subnet 00000000-0000-4000-8000-000000000009 not found.');

      const inUse = await app.request('DELETE', `/v2/fulcrum/subnets/${subnet.id}`);
      assert.equal(inUse.status, 409);
      await app.waitFor(`/v2/lbaas/loadbalancers/${a.body.loadbalancer.id}`, 'loadbalancer');
      assert.equal((await app.request('DELETE', `/v2/lbaas/loadbalancers/${a.body.loadbalancer.id}`)).status, 204);
      await app.waitFor(`/v2/lbaas/loadbalancers/${a.body.loadbalancer.id}`, 'loadbalancer', ['DELETED']);
      const again = await create();
      assert.equal(again.status, 201);
      assert.equal(again.body.loadbalancer.vip_address, '127.77.0.5', 'the released address is handed out again');
    });
  });
}

describe('member subnets with the local network driver', () => {
  test('a member on an unknown subnet is a 400', async () => {
    const app = await startTestApp('pglite', { config: { networkDriver: 'local' } });
    try {
      const network = (await app.request('POST', '/v2/fulcrum/networks', { network: { name: 'n' } })).body.network;
      const subnet = (await app.request('POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.id, cidr: '127.78.0.0/24' } })).body.subnet;
      const lb = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnet.id } });
      await app.waitFor(`/v2/lbaas/loadbalancers/${lb.body.loadbalancer.id}`, 'loadbalancer');
      const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lb.body.loadbalancer.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
      await app.waitFor(`/v2/lbaas/loadbalancers/${lb.body.loadbalancer.id}`, 'loadbalancer');
      const bad = await app.request('POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, {
        member: { address: '127.78.0.10', protocol_port: 80, subnet_id: '00000000-0000-4000-8000-0000000000aa' },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.faultstring, 'Subnet 00000000-0000-4000-8000-0000000000aa not found.');
      const good = await app.request('POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, {
        member: { address: '127.78.0.10', protocol_port: 80, subnet_id: subnet.id },
      });
      assert.equal(good.status, 201);
    } finally {
      await app.close();
    }
  });
});
