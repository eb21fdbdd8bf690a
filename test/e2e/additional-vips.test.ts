// Additional VIPs end to end on the process compute driver: a load balancer created with a VIP
// on a second subnet of the same network serves every listener on both addresses, keeps doing
// so after a failover, and gives both addresses back when deleted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import type { TestApp } from '../helpers/app.ts';
import { startProcessAmphoraApp, type AmphoraApp } from '../helpers/amphora-app.ts';
import { fetchText, startBackend, type Backend } from '../helpers/data-plane.ts';

describe('additional VIPs on the process compute driver', () => {
  let env: AmphoraApp;
  let app: TestApp;
  let backend: Backend;
  let secondSubnet: string;

  before(async () => {
    env = await startProcessAmphoraApp('addvip', [253, 256], 300);
    app = env.app;
    backend = await startBackend('be');
    const primary = (await app.request('GET', `/v2/fulcrum/subnets/${env.subnetId}`)).body.subnet;
    const [a, b] = primary.cidr.split('.');
    // Another /24 of the same 127.a.0.0/16 range, on the primary subnet's network.
    let third: number;
    do third = randomInt(0, 256);
    while (`${a}.${b}.${third}.0/24` === primary.cidr);
    const res = await app.request('POST', '/v2/fulcrum/subnets', { subnet: { network_id: primary.network_id, cidr: `${a}.${b}.${third}.0/24` } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    secondSubnet = res.body.subnet.id;
  });

  after(async () => {
    await env?.close();
    await backend?.close();
  });

  test('every listener answers on the primary and the additional VIP, also after a failover; delete frees both', async () => {
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: { vip_subnet_id: env.subnetId, additional_vips: [{ subnet_id: secondSubnet }] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const lb = created.body.loadbalancer;
    const vips = [lb.vip_address, lb.additional_vips[0].ip_address];
    assert.notEqual(vips[0], vips[1]);
    const settle = () => app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 60_000);
    assert.equal((await settle()).provisioning_status, 'ACTIVE');

    const ports = [8080, 8081];
    for (const port of ports) {
      const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: port } });
      assert.equal(listener.status, 201);
      await settle();
      const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
      await settle();
      await app.request('POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: '127.0.0.1', protocol_port: backend.port } });
      assert.equal((await settle()).provisioning_status, 'ACTIVE');
    }

    const everyVip = async (when: string) => {
      for (const vip of vips) for (const port of ports) assert.equal(await fetchText(`http://${vip}:${port}/`), 'be', `${when}: ${vip}:${port}`);
    };
    const hits = backend.hits;
    await everyVip('after create');
    assert.equal(backend.hits - hits, vips.length * ports.length, 'each request went through HAProxy to the member');

    assert.equal((await app.request('PUT', `/v2/lbaas/loadbalancers/${lb.id}/failover`)).status, 202);
    assert.equal((await settle()).provisioning_status, 'ACTIVE');
    await everyVip('after a failover');

    assert.equal((await app.request('DELETE', `/v2/lbaas/loadbalancers/${lb.id}?cascade=true`)).status, 204);
    await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', ['DELETED'], 60_000);
    for (const vip of vips) await assert.rejects(fetchText(`http://${vip}:${ports[0]}/`, 1000), `${vip} is no longer served`);
    const held = await app.rt.database.db.selectFrom('ip_allocation').select('address').where('owner_id', '=', lb.id).execute();
    assert.deepEqual(held, [], 'both addresses are free again');
  });
});
