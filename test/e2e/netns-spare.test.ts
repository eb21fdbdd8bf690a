// A spare amphora on the netns compute driver (root): housekeeping makes its namespace on the
// bridge without any VIP; a create takes it, the VIP is plugged into that namespace (address +
// gratuitous ARP) and serves traffic from the host. Everything is removed afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/data-plane.ts';
import { MemberNet, freeTestSubnet, httpGet, testPrefix, type Member } from '../helpers/netns.ts';
import { ip } from '../../src/compute/netns/ip-command.ts';
import { SparePoolKeeper } from '../../src/housekeeping/spare-pool-keeper.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { tearDownNetnsTest } from '../helpers/netns-teardown.ts';

async function addresses(netns: string): Promise<string[]> {
  return JSON.parse((await ip(['-n', netns, '-j', 'addr', 'show', 'dev', 'eth0'])).stdout)[0].addr_info.map((a: { local: string }) => a.local);
}

describe('a spare amphora on the netns compute driver', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-e2e-netns-spare-'));
  const prefix = testPrefix();
  let app: TestApp;
  let memberNet: MemberNet | null = null;
  let net: string;
  let subnetId: string;
  let member: Member;

  before(async () => {
    net = await freeTestSubnet();
    app = await startTestApp('pglite', {
      config: {
        defaultProvider: 'amphora',
        networkDriver: 'local',
        computeDriver: 'netns',
        dataDir,
        localAgentPort: await freePort(),
        netnsPrefix: prefix,
        netnsBridgeAddress: `${net}.1/24`,
      },
    });
    const network = (await app.request('POST', '/v2/fulcrum/networks', { network: { name: 'e2e-netns-spare' } })).body.network;
    const subnet = await app.request('POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.id, cidr: `${net}.0/24`, gateway_ip: `${net}.1` } });
    subnetId = subnet.body.subnet.id;
    memberNet = new MemberNet({ prefix, bridge: `${prefix}-br0`, prefixLength: 24, bridgeAddress: `${net}.1/24` });
    member = await memberNet.add('m1', `${net}.101`, 8080);
  });

  after(async () => {
    await tearDownNetnsTest({ app, dataDir, memberNet, prefix });
  });

  test('the spare namespace has no VIP until a create takes it; then it serves the VIP', async () => {
    const keeper = new SparePoolKeeper({ db: app.rt.database.db, dataPlane: app.rt.dataPlane }, 1, 60_000, createLogger(process.env.FULCRUM_TEST_LOG ?? 'silent'));
    assert.equal(await keeper.fillOnce(), 1);
    const [spare] = await app.rt.database.db.selectFrom('amphora').selectAll().where('status', '=', 'READY').execute();
    assert.ok(spare.netns?.startsWith(prefix), `the spare has its own namespace (${spare.netns})`);
    assert.deepEqual((await addresses(spare.netns!)).filter((a) => a.startsWith(`${net}.`)), [], 'no VIP in the spare');

    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnetId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const lbId = created.body.loadbalancer.id;
    const vip = created.body.loadbalancer.vip_address;
    const settle = async () => {
      const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 30_000);
      assert.equal(lb.provisioning_status, 'ACTIVE', JSON.stringify((await app.request('GET', `/v2/fulcrum/jobs?load_balancer_id=${lbId}`)).body));
    };
    await settle();
    const serving = await app.rt.database.db.selectFrom('amphora').select(['id', 'status']).where('load_balancer_id', '=', lbId).execute();
    assert.deepEqual(serving, [{ id: spare.id, status: 'ALLOCATED' }]);
    assert.ok((await addresses(spare.netns!)).includes(vip), 'the VIP was plugged into the spare namespace');

    const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } });
    await settle();
    const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    await settle();
    await app.request('POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: member.address, protocol_port: member.port, subnet_id: subnetId } });
    await settle();
    assert.deepEqual(await httpGet(`http://${vip}/`), { status: 200, body: 'm1' });
  });
});
