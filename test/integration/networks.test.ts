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

for (const backend of BACKENDS) {
  describe(`one address per network (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend, { config: { networkDriver: 'local' } });
    });
    after(async () => app?.close());

    const newNetwork = async (name: string) => (await app.request('POST', '/v2/fulcrum/networks', { network: { name } })).body.network;
    const newSubnet = (networkId: string, cidr: string) => app.request('POST', '/v2/fulcrum/subnets', { subnet: { network_id: networkId, cidr } });

    test('a subnet overlapping another on its network is refused with 400; other networks may reuse the range', async () => {
      const network = await newNetwork('overlap');
      assert.equal((await newSubnet(network.id, '10.40.0.0/24')).status, 201);
      for (const cidr of ['10.40.0.0/24', '10.40.0.128/25', '10.40.0.0/16', '10.40.0.7/32']) {
        const res = await newSubnet(network.id, cidr);
        assert.equal(res.status, 400, cidr);
        assert.match(res.body.faultstring, /overlaps with another subnet/);
      }
      assert.equal((await newSubnet(network.id, '10.40.1.0/24')).status, 201, 'an adjacent range does not overlap');
      const other = await newNetwork('overlap-other');
      assert.equal((await newSubnet(other.id, '10.40.0.0/24')).status, 201);
      const subnets = await app.request('GET', `/v2/fulcrum/subnets?network_id=${network.id}`);
      assert.deepEqual(subnets.body.subnets.map((s: any) => s.cidr), ['10.40.0.0/24', '10.40.1.0/24']);
    });

    test('20 parallel creates of one CIDR on a network make exactly one subnet', async () => {
      const network = await newNetwork('race');
      const results = await Promise.all(Array.from({ length: 20 }, () => newSubnet(network.id, '10.41.0.0/24')));
      const statuses = results.map((r) => r.status).sort();
      assert.equal(statuses.length, 20);
      assert.deepEqual(statuses, [201, ...Array(19).fill(400)]);
      const subnets = await app.request('GET', `/v2/fulcrum/subnets?network_id=${network.id}`);
      assert.equal(subnets.body.subnets.length, 1);
    });

    test('50 parallel load balancer creates on one subnet get 50 distinct host addresses', async () => {
      const network = await newNetwork('vips');
      const subnet = (await newSubnet(network.id, '10.42.0.0/26')).body.subnet;
      const results = await Promise.all(
        Array.from({ length: 50 }, () => app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnet.id } })),
      );
      assert.deepEqual(results.map((r) => r.status), Array(50).fill(201));
      const vips = results.map((r) => r.body.loadbalancer.vip_address as string);
      assert.equal(new Set(vips).size, 50);
      assert.ok(!vips.includes('10.42.0.0'), 'the network address is never a VIP');
      assert.ok(!vips.includes('10.42.0.63'), 'the broadcast address is never a VIP');
      assert.ok(vips.every((v) => /^10\.42\.0\.([1-9]|[1-5]\d|6[0-2])$/.test(v)), vips.join(' '));
    });

    test('a requested network or broadcast address is a 400; /31 and /32 hand out every address', async () => {
      const network = await newNetwork('reserved');
      const subnet = (await newSubnet(network.id, '10.43.0.0/29')).body.subnet;
      for (const address of ['10.43.0.0', '10.43.0.7']) {
        const res = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnet.id, vip_address: address } });
        assert.equal(res.status, 400, address);
        assert.equal(res.body.faultstring, `The IP Address ${address} is invalid.`);
      }
      const host = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnet.id, vip_address: '10.43.0.6' } });
      assert.equal(host.status, 201);
      const p2p = (await newSubnet(network.id, '10.43.1.0/31')).body.subnet;
      const first = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: p2p.id } });
      const second = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: p2p.id } });
      assert.deepEqual([first.body.loadbalancer.vip_address, second.body.loadbalancer.vip_address], ['10.43.1.0', '10.43.1.1']);
      const v6 = (await newSubnet(network.id, '2001:db8:43::/120')).body.subnet;
      const anycast = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: v6.id, vip_address: '2001:db8:43::' } });
      assert.equal(anycast.status, 400, 'the IPv6 subnet-router anycast address is not a VIP either');
      const spelled = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: v6.id, vip_address: '2001:0db8:0043:0:0:0:0:5' } });
      assert.equal(spelled.body.loadbalancer.vip_address, '2001:db8:43::5');
      const again = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: v6.id, vip_address: '2001:db8:43::5' } });
      assert.equal(again.status, 409, 'another spelling of a held address is the same address');
    });

    test('the database refuses a second holder of an address on a network', async () => {
      const network = await newNetwork('constraint');
      const subnet = (await newSubnet(network.id, '10.44.0.0/24')).body.subnet;
      const db = app.rt.database.db;
      const row = { subnet_id: subnet.id, network_id: network.id, address: '10.44.0.9', owner_type: 'vip' };
      await db.insertInto('ip_allocation').values({ ...row, owner_id: '00000000-0000-4000-8000-000000000001' }).execute();
      await assert.rejects(db.insertInto('ip_allocation').values({ ...row, owner_id: '00000000-0000-4000-8000-000000000002' }).execute(), (err: any) => err.code === '23505');
      const other = await newNetwork('constraint-other');
      await assert.rejects(
        db.insertInto('ip_allocation').values({ ...row, network_id: other.id, address: '10.44.0.10', owner_id: '00000000-0000-4000-8000-000000000003' }).execute(),
        (err: any) => err.code === '23503',
        'an allocation cannot claim another network than its subnet\'s',
      );
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
