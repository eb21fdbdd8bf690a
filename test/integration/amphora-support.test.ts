// What HAProxy 2.6 cannot serve is refused at the API with Octavia's 501, before anything is
// written (the worker is off: nothing here needs a data plane).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';

describe('amphora provider capabilities', () => {
  let app: TestApp;
  let lbId: string;
  before(async () => {
    app = await startTestApp('pglite', { worker: false, config: { defaultProvider: 'amphora' } });
    const lb = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, provider: 'octavia' } });
    assert.equal(lb.status, 201);
    assert.equal(lb.body.loadbalancer.provider, 'octavia', 'the alias is kept as asked');
    lbId = lb.body.loadbalancer.id;
  });
  after(async () => app?.close());

  test('UDP and SCTP listeners and pools are 501 on the process compute driver, naming the netns driver', async () => {
    for (const protocol of ['UDP', 'SCTP']) {
      const res = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol, protocol_port: 53 } });
      assert.equal(res.status, 501);
      assert.equal(
        res.body.faultstring,
        `Provider 'amphora' does not support a requested option: ${protocol} protocol listeners on the 'process' compute driver; they need the 'netns' compute driver, whose amphorae have a network namespace for nftables`,
      );
      const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lbId, protocol, lb_algorithm: 'ROUND_ROBIN' } });
      assert.equal(pool.status, 501);
      assert.match(pool.body.faultstring, new RegExp(`${protocol} protocol pools on the 'process' compute driver`));
    }
    const count = await app.rt.database.db.selectFrom('pool').select('id').execute();
    assert.deepEqual(count, [], 'nothing was written');
  });

  test('SOURCE_IP_PORT on an HTTP pool passes the capability check (HAProxy hashes address and port) and meets the lock (409)', async () => {
    const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'SOURCE_IP_PORT' } });
    assert.equal(pool.status, 409, JSON.stringify(pool.body));
  });

  test('HTTP listeners pass the capability check and meet the lock (409)', async () => {
    const res = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } });
    assert.equal(res.status, 409);
  });
});
