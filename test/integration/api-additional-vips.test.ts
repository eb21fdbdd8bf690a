// `additional_vips` on load balancer create (API v2.26, docs/octavia-compatibility.md §5.1) on both back ends:
// allocated from Fulcrum's IPAM (local network driver) on other subnets of the primary VIP's
// network, shown as [{subnet_id, ip_address, port_id}], refused with Octavia's texts, and given
// back with the load balancer. The noop network driver accepts them as well.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BACKENDS } from '../helpers/db.ts';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';

const LBS = '/v2/lbaas/loadbalancers';
const DUPLICATE = 'Validation failure: Duplicate VIP subnet(s) specified. Only one IP can be bound per subnet.';

for (const backend of BACKENDS) {
  describe(`additional VIPs, local network driver (${backend})`, () => {
    let app: TestApp;
    const subnets: Record<string, string> = {};

    async function subnet(networkId: string, cidr: string): Promise<string> {
      const res = await app.request('POST', '/v2/fulcrum/subnets', { subnet: { network_id: networkId, cidr } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.subnet.id;
    }

    before(async () => {
      app = await startTestApp(backend, { config: { networkDriver: 'local' } });
      const net = (await app.request('POST', '/v2/fulcrum/networks', { network: { name: 'vips' } })).body.network.id;
      const other = (await app.request('POST', '/v2/fulcrum/networks', { network: { name: 'other' } })).body.network.id;
      subnets.a = await subnet(net, '10.40.0.0/24');
      subnets.b = await subnet(net, '10.41.0.0/24');
      subnets.v6 = await subnet(net, 'fd00:41::/64');
      subnets.elsewhere = await subnet(other, '10.42.0.0/24');
    });
    after(async () => app?.close());

    const create = (body: Record<string, unknown>) => app.request('POST', LBS, { loadbalancer: { vip_subnet_id: subnets.a, ...body } });
    const allocations = (owner: string) =>
      app.rt.database.db.selectFrom('ip_allocation').select(['subnet_id', 'address', 'owner_type']).where('owner_id', '=', owner).orderBy('address').execute();

    test('create allocates each additional VIP on its subnet; responses show subnet_id, ip_address and port_id', async () => {
      const res = await create({ additional_vips: [{ subnet_id: subnets.b, ip_address: '10.41.0.50' }, { subnet_id: subnets.v6 }] });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const lb = res.body.loadbalancer;
      assert.equal(lb.additional_vips.length, 2);
      const [v4, v6] = lb.additional_vips;
      assert.deepEqual(Object.keys(v4).sort(), ['ip_address', 'port_id', 'subnet_id']);
      assert.equal(v4.subnet_id, subnets.b);
      assert.equal(v4.ip_address, '10.41.0.50');
      assert.match(v4.port_id, /^[0-9a-f-]{36}$/);
      assert.equal(v6.subnet_id, subnets.v6);
      assert.match(v6.ip_address, /^fd00:41::/);
      const active = await app.waitFor(`${LBS}/${lb.id}`, 'loadbalancer');
      assert.deepEqual(active.additional_vips, lb.additional_vips);
      const listed = await app.request('GET', `${LBS}?id=${lb.id}`);
      assert.deepEqual(listed.body.loadbalancers[0].additional_vips, lb.additional_vips);
      assert.deepEqual(
        (await allocations(lb.id)).map((a) => [a.subnet_id, a.owner_type]).sort(),
        [[subnets.a, 'vip'], [subnets.b, 'additional_vip'], [subnets.v6, 'additional_vip']].sort(),
      );

      const taken = await create({ vip_subnet_id: subnets.b, vip_address: '10.41.0.50' });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.faultstring, 'The VIP IP address is already in use: 10.41.0.50');

      const del = await app.request('DELETE', `${LBS}/${lb.id}`);
      assert.equal(del.status, 204);
      await app.waitFor(`${LBS}/${lb.id}`, 'loadbalancer', ['DELETED']);
      assert.deepEqual(await allocations(lb.id), [], 'the addresses go back to their subnets');
      const reused = await create({ additional_vips: [{ subnet_id: subnets.b, ip_address: '10.41.0.50' }] });
      assert.equal(reused.status, 201, 'a freed address can be taken again');
    });

    test('a load balancer without additional VIPs shows []', async () => {
      const res = await create({});
      assert.equal(res.status, 201);
      assert.deepEqual(res.body.loadbalancer.additional_vips, []);
    });

    test('refusals: a subnet twice or the primary one, another network, unknown subnet, bad address, bad shape', async () => {
      const cases: [unknown, number, string][] = [
        [[{ subnet_id: subnets.b }, { subnet_id: subnets.b }], 400, DUPLICATE],
        [[{ subnet_id: subnets.a }], 400, DUPLICATE],
        [[{ subnet_id: subnets.elsewhere }], 400, 'Validation failure: All VIP subnets must belong to the same network.'],
        [[{ subnet_id: SUBNET }], 400, `Subnet ${SUBNET} not found.`],
        [[{ subnet_id: subnets.b, ip_address: '10.40.0.77' }], 400, 'The IP Address 10.40.0.77 is invalid.'],
        [[{ ip_address: '10.41.0.9' }], 400, "Invalid input for field/attribute subnet_id. Value: 'None'. Mandatory field missing."],
        [[{ subnet_id: subnets.b, port_id: subnets.b }], 400, 'Unknown attribute for argument additional_vips: port_id'],
        [[{ subnet_id: 'x' }], 400, "Invalid input for field/attribute subnet_id. Value: 'x'. Value should be UUID format"],
      ];
      const before = (await app.rt.database.db.selectFrom('ip_allocation').select('address').execute()).length;
      for (const [additional, status, fault] of cases) {
        const res = await create({ additional_vips: additional });
        assert.equal(res.status, status, JSON.stringify(additional));
        assert.equal(res.body.faultstring, fault, JSON.stringify(additional));
      }
      const afterCount = (await app.rt.database.db.selectFrom('ip_allocation').select('address').execute()).length;
      assert.equal(afterCount, before, 'a refused create keeps no address');
    });
  });

  describe(`additional VIPs, noop network driver (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend);
    });
    after(async () => app?.close());

    test('any subnet is accepted on the primary network; addresses are made up and never repeated', async () => {
      const other = randomUUID();
      const res = await app.request('POST', LBS, { loadbalancer: { vip_subnet_id: SUBNET, additional_vips: [{ subnet_id: other, ip_address: '198.18.7.7' }] } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body.loadbalancer.additional_vips.map((v: any) => [v.subnet_id, v.ip_address]), [[other, '198.18.7.7']]);
      const clash = await app.request('POST', LBS, { loadbalancer: { vip_subnet_id: SUBNET, additional_vips: [{ subnet_id: randomUUID(), ip_address: '198.18.7.7' }] } });
      assert.equal(clash.status, 409);
      assert.equal(clash.body.faultstring, 'The VIP IP address is already in use: 198.18.7.7');
      const dup = await app.request('POST', LBS, { loadbalancer: { vip_subnet_id: SUBNET, additional_vips: [{ subnet_id: SUBNET }] } });
      assert.equal(dup.status, 400);
      assert.equal(dup.body.faultstring, DUPLICATE);
    });
  });
}
