// Member contract on both back ends: create/show/update/delete through the worker, the pool
// and LB locks, Octavia's faults, the batch update (desired state, additive_only, no-op), and
// list filters, tags and field selection.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { createActiveLoadBalancer, startTestApp, type TestApp } from '../helpers/app.ts';

const MISSING = '00000000-0000-4000-8000-0000000000ff';
const SUBNET_B = '3f1e2d3c-4b5a-4678-9abc-def012345678';

for (const backend of BACKENDS) {
  describe(`members (${backend})`, () => {
    let app: TestApp;
    let lb: any;
    let port = 8000;
    before(async () => {
      app = await startTestApp(backend);
      lb = await createActiveLoadBalancer(app);
    });
    after(async () => app?.close());

    const settle = () => app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
    const lbStatus = async () => (await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer.provisioning_status;
    const membersOf = (poolId: string) => `/v2/lbaas/pools/${poolId}/members`;

    /** An ACTIVE HTTP pool, as the default pool of a new listener when `withListener`. */
    async function newPool(withListener = false): Promise<{ pool: any; listenerId: string | null }> {
      let listenerId: string | null = null;
      if (withListener) {
        const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: port++ } });
        assert.equal(listener.status, 201, JSON.stringify(listener.body));
        listenerId = listener.body.listener.id;
        await settle();
      }
      const owner = listenerId ? { listener_id: listenerId } : { loadbalancer_id: lb.id };
      const res = await app.request('POST', '/v2/lbaas/pools', { pool: { ...owner, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await settle();
      return { pool: res.body.pool, listenerId };
    }

    async function addMember(poolId: string, member: Record<string, unknown>): Promise<any> {
      const res = await app.request('POST', membersOf(poolId), { member });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await settle();
      return res.body.member;
    }

    async function listAddresses(poolId: string): Promise<string[]> {
      const res = await app.request('GET', `${membersOf(poolId)}?sort=address`);
      return res.body.members.map((m: any) => `${m.address}:${m.protocol_port}`);
    }

    test('create is 201 PENDING_CREATE/NO_MONITOR, locks LB, pool and listener, and settles ACTIVE', async () => {
      const { pool, listenerId } = await newPool(true);
      await app.setWorker(false);
      try {
        const res = await app.request('POST', membersOf(pool.id), {
          member: { address: '192.0.2.10', protocol_port: 80, name: 'web1', tags: ['blue'], project_id: 'ignored', subnet_id: SUBNET_B },
        });
        assert.equal(res.status, 201);
        const m = res.body.member;
        assert.deepEqual(Object.keys(m).sort(), [
          'address', 'admin_state_up', 'backup', 'created_at', 'id', 'monitor_address', 'monitor_port', 'name', 'operating_status',
          'project_id', 'protocol_port', 'provisioning_status', 'subnet_id', 'tags', 'tenant_id', 'updated_at', 'vnic_type', 'weight',
        ]);
        assert.equal(m.provisioning_status, 'PENDING_CREATE');
        assert.equal(m.operating_status, 'NO_MONITOR');
        assert.equal(m.project_id, 'project-a', 'a child inherits the LB project');
        assert.equal(m.tenant_id, 'project-a');
        assert.equal(m.weight, 1);
        assert.equal(m.backup, false);
        assert.equal(m.admin_state_up, true);
        assert.equal(m.vnic_type, 'normal');
        assert.equal(m.subnet_id, SUBNET_B);
        assert.deepEqual(m.tags, ['blue']);
        assert.equal(await lbStatus(), 'PENDING_UPDATE');
        assert.equal((await app.request('GET', `/v2/lbaas/pools/${pool.id}`)).body.pool.provisioning_status, 'PENDING_UPDATE');
        assert.equal((await app.request('GET', `/v2/lbaas/listeners/${listenerId}`)).body.listener.provisioning_status, 'PENDING_UPDATE');
        const blocked = await app.request('POST', membersOf(pool.id), { member: { address: '192.0.2.11', protocol_port: 80 } });
        assert.equal(blocked.status, 409);
        assert.equal(blocked.body.faultstring, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
      } finally {
        await app.setWorker(true);
      }
      await settle();
      const members = await app.request('GET', membersOf(pool.id));
      assert.equal(members.body.members.length, 1, 'the refused member was not written');
      const active = members.body.members[0];
      assert.equal(active.provisioning_status, 'ACTIVE');
      assert.equal(active.operating_status, 'NO_MONITOR');
      assert.equal((await app.request('GET', `/v2/lbaas/pools/${pool.id}`)).body.pool.provisioning_status, 'ACTIVE');
      assert.deepEqual((await app.request('GET', `/v2/lbaas/pools/${pool.id}`)).body.pool.members, [{ id: active.id }]);
      assert.equal((await app.request('GET', `/v2/lbaas/listeners/${listenerId}`)).body.listener.provisioning_status, 'ACTIVE');
      const tree = await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}/status`);
      const listenerNode = tree.body.statuses.loadbalancer.listeners.find((l: any) => l.id === listenerId);
      assert.deepEqual(listenerNode.pools[0].members, [
        { id: active.id, name: 'web1', address: '192.0.2.10', protocol_port: 80, operating_status: 'NO_MONITOR', provisioning_status: 'ACTIVE' },
      ]);
    });

    test('show, update with null semantics, delete; a member of another pool is 404', async () => {
      const { pool } = await newPool();
      const { pool: other } = await newPool();
      const m = await addMember(pool.id, { address: '2001:db8::5', protocol_port: 443, weight: 10, backup: true, monitor_address: '2001:db8::6', monitor_port: 9000 });
      const shown = await app.request('GET', `${membersOf(pool.id)}/${m.id}?fields=id&fields=weight&fields=backup`);
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body, { member: { id: m.id, weight: 10, backup: true } });
      const elsewhere = await app.request('GET', `${membersOf(other.id)}/${m.id}`);
      assert.equal(elsewhere.status, 404);
      assert.deepEqual(elsewhere.body, { faultcode: 'Client', faultstring: `Member ${m.id} not found.`, debuginfo: null });
      assert.equal((await app.request('PUT', `${membersOf(other.id)}/${m.id}`, { member: { name: 'x' } })).status, 404);
      assert.equal((await app.request('DELETE', `${membersOf(other.id)}/${m.id}`)).status, 404);

      const put = await app.request('PUT', `${membersOf(pool.id)}/${m.id}`, {
        member: { name: 'renamed', weight: null, backup: null, admin_state_up: null, monitor_address: null, monitor_port: null, tags: ['x'] },
      });
      assert.equal(put.status, 200);
      const u = put.body.member;
      assert.equal(u.provisioning_status, 'PENDING_UPDATE');
      assert.equal(u.name, 'renamed');
      assert.equal(u.weight, 1);
      assert.equal(u.backup, false);
      assert.equal(u.admin_state_up, false);
      assert.equal(u.monitor_address, null);
      assert.equal(u.monitor_port, null);
      assert.deepEqual(u.tags, ['x']);
      assert.equal(u.address, '2001:db8::5');
      await settle();
      const settled = await app.waitFor(`${membersOf(pool.id)}/${m.id}`, 'member');
      assert.equal(settled.provisioning_status, 'ACTIVE');
      assert.notEqual(settled.updated_at, null);

      const cleared = await app.request('PUT', `${membersOf(pool.id)}/${m.id}`, { member: { name: null, weight: 0 } });
      assert.equal(cleared.body.member.name, '');
      assert.equal(cleared.body.member.weight, 0, 'weight 0 drains');
      await settle();

      const del = await app.request('DELETE', `${membersOf(pool.id)}/${m.id}`);
      assert.equal(del.status, 204);
      const pending = await app.request('GET', `${membersOf(pool.id)}/${m.id}`);
      assert.ok(pending.status === 404 || pending.body.member.provisioning_status === 'PENDING_DELETE');
      await settle();
      const gone = await app.request('GET', `${membersOf(pool.id)}/${m.id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.faultstring, `Member ${m.id} not found.`);
    });

    test('Octavia faults: missing pool, reserved address, duplicate, SR-IOV', async () => {
      const { pool } = await newPool();
      const noPool = await app.request('POST', membersOf(MISSING), { member: { address: '192.0.2.1', protocol_port: 80 } });
      assert.equal(noPool.status, 404);
      assert.equal(noPool.body.faultstring, `Pool ${MISSING} not found.`);
      assert.equal((await app.request('GET', membersOf(MISSING))).status, 404);
      assert.equal((await app.request('GET', membersOf('not-a-uuid'))).status, 404);
      assert.equal((await app.request('GET', `${membersOf(pool.id)}/${MISSING}`)).body.faultstring, `Member ${MISSING} not found.`);

      const reserved = await app.request('POST', membersOf(pool.id), { member: { address: '169.254.169.254', protocol_port: 80 } });
      assert.equal(reserved.status, 400);
      assert.equal(reserved.body.faultstring, '169.254.169.254 is not a valid option for member address');

      const sriov = await app.request('POST', membersOf(pool.id), { member: { address: '192.0.2.1', protocol_port: 80, request_sriov: true } });
      assert.equal(sriov.status, 400);
      assert.equal(sriov.body.faultstring, 'The load balancer flavor does not allow SR-IOV member ports.');
      assert.equal(await lbStatus(), 'ACTIVE', 'refused before locking');

      const first = await app.request('POST', membersOf(pool.id), { member: { address: '192.0.2.1', protocol_port: 80, request_sriov: false } });
      assert.equal(first.status, 201);
      assert.ok(!('request_sriov' in first.body.member), 'request_sriov is input only');
      await settle();
      const dup = await app.request('POST', membersOf(pool.id), { member: { address: '192.0.2.1', protocol_port: 80 } });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.faultstring, 'Another member on this pool is already using ip 192.0.2.1 on protocol_port 80');
      assert.equal(await lbStatus(), 'ACTIVE', 'a refused write leaves the LB unlocked');
      const otherPort = await app.request('POST', membersOf(pool.id), { member: { address: '192.0.2.1', protocol_port: 81 } });
      assert.equal(otherPort.status, 201);
      await settle();
    });

    test('a pool that is not ACTIVE refuses member changes with 409 and nothing is locked', async () => {
      const { pool } = await newPool();
      const m = await addMember(pool.id, { address: '192.0.2.20', protocol_port: 80 });
      await app.rt.database.db.updateTable('pool').set({ provisioning_status: 'ERROR' }).where('id', '=', pool.id).execute();
      const message = `Pool ${pool.id} is immutable and cannot be updated.`;
      const attempts = [
        await app.request('POST', membersOf(pool.id), { member: { address: '192.0.2.21', protocol_port: 80 } }),
        await app.request('PUT', `${membersOf(pool.id)}/${m.id}`, { member: { weight: 3 } }),
        await app.request('DELETE', `${membersOf(pool.id)}/${m.id}`),
        await app.request('PUT', membersOf(pool.id), { members: [] }),
      ];
      for (const res of attempts) {
        assert.equal(res.status, 409);
        assert.equal(res.body.faultstring, message);
      }
      assert.equal(await lbStatus(), 'ACTIVE');
      const unchanged = await app.request('GET', `${membersOf(pool.id)}/${m.id}`);
      assert.equal(unchanged.body.member.weight, 1);
      assert.equal(unchanged.body.member.provisioning_status, 'ACTIVE');
      assert.equal((await app.request('GET', membersOf(pool.id))).body.members.length, 1);
    });

    test('bad input is a 400 fault and nothing is written', async () => {
      const { pool } = await newPool();
      const m = await addMember(pool.id, { address: '192.0.2.30', protocol_port: 80 });
      const before = (await app.request('GET', `${membersOf(pool.id)}/${m.id}`)).body.member;
      const creates: [unknown, RegExp][] = [
        [{ member: { protocol_port: 80 } }, /address\. Value: 'None'\. Mandatory field missing/],
        [{ member: { address: '192.0.2.31' } }, /protocol_port\. Value: 'None'\. Mandatory field missing/],
        [{ member: { address: '192.0.2.300', protocol_port: 80 } }, /address\. Value: '192\.0\.2\.300'\. Value should be IPv4 or IPv6 format/],
        [{ member: { address: '192.0.2.31', protocol_port: 0 } }, /protocol_port\. Value: '0'\. Value should be greater or equal to 1/],
        [{ member: { address: '192.0.2.31', protocol_port: 65536 } }, /protocol_port\. Value: '65536'\. Value should be lower or equal to 65535/],
        [{ member: { address: '192.0.2.31', protocol_port: 80, weight: 257 } }, /weight\. Value: '257'\. Value should be lower or equal to 256/],
        [{ member: { address: '192.0.2.31', protocol_port: 80, weight: -1 } }, /weight\. Value: '-1'/],
        [{ member: { address: '192.0.2.31', protocol_port: 80, weight: 1.5 } }, /weight/],
        [{ member: { address: '192.0.2.31', protocol_port: 'eighty' } }, /protocol_port/],
        [{ member: { address: '192.0.2.31', protocol_port: 80, backup: 'yes' } }, /backup/],
        [{ member: { address: '192.0.2.31', protocol_port: 80, subnet_id: 'nope' } }, /subnet_id\. Value: 'nope'\. Value should be UUID format/],
        [{ member: { address: '192.0.2.31', protocol_port: 80, monitor_port: 70000 } }, /monitor_port/],
        [{ member: { address: '192.0.2.31', protocol_port: 80, monitor_address: 'host' } }, /monitor_address/],
        [{ member: { address: '192.0.2.31', protocol_port: 80, vnic_type: 'direct' } }, /Unknown attribute for argument member: vnic_type/],
        [{ member: { address: '192.0.2.31', protocol_port: 80, id: MISSING } }, /Unknown attribute for argument member: id/],
        [{ member: { address: '192.0.2.31', protocol_port: 80, name: 'n'.repeat(256) } }, /maximum character requirement of 255/],
        [{ member: { address: '192.0.2.31', protocol_port: 80, name: 'nul\u0000' } }, /name/],
        [{ member: { address: '192.0.2.31', protocol_port: 80, tags: ['ok', 7] } }, /tags/],
        [{ address: '192.0.2.31', protocol_port: 80 }, /Unknown attribute for argument body|Mandatory field missing/],
        ['{"member": ', /not in valid JSON format/],
      ];
      for (const [body, message] of creates) {
        const res = await app.request('POST', membersOf(pool.id), body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.faultcode, 'Client');
        assert.match(res.body.faultstring, message);
      }
      const updates: [unknown, RegExp][] = [
        [{ member: { address: '192.0.2.99' } }, /Unknown attribute for argument member: address/],
        [{ member: { protocol_port: 81 } }, /Unknown attribute for argument member: protocol_port/],
        [{ member: { subnet_id: SUBNET_B } }, /Unknown attribute for argument member: subnet_id/],
        [{ member: { request_sriov: false } }, /Unknown attribute for argument member: request_sriov/],
        [{ member: { weight: 300 } }, /weight/],
        [{}, /Mandatory field missing/],
      ];
      for (const [body, message] of updates) {
        const res = await app.request('PUT', `${membersOf(pool.id)}/${m.id}`, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(res.body.faultstring, message);
      }
      assert.equal(await lbStatus(), 'ACTIVE');
      assert.deepEqual(await listAddresses(pool.id), ['192.0.2.30:80']);
      assert.deepEqual((await app.request('GET', `${membersOf(pool.id)}/${m.id}`)).body.member, before);
    });

    test('with a monitor on the pool a new member starts OFFLINE', async () => {
      const { pool } = await newPool();
      const hm = await app.request('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: pool.id, type: 'TCP', delay: 5, timeout: 3, max_retries: 2 } });
      assert.equal(hm.status, 201);
      await settle();
      const res = await app.request('POST', membersOf(pool.id), { member: { address: '192.0.2.40', protocol_port: 80 } });
      assert.equal(res.body.member.operating_status, 'OFFLINE');
      await settle();
      const m = await app.waitFor(`${membersOf(pool.id)}/${res.body.member.id}`, 'member');
      assert.equal(m.operating_status, 'OFFLINE');
    });

    test('batch update creates, updates and deletes to match the list; 202 with no body', async () => {
      const { pool } = await newPool();
      const keep = await addMember(pool.id, { address: '198.51.100.1', protocol_port: 80, name: 'keep', weight: 4 });
      const drop = await addMember(pool.id, { address: '198.51.100.2', protocol_port: 80 });
      const same = await addMember(pool.id, { address: '198.51.100.3', protocol_port: 80, weight: 2, tags: ['t'] });
      await app.setWorker(false);
      try {
        const res = await app.request('PUT', membersOf(pool.id), {
          members: [
            { address: '198.51.100.1', protocol_port: 80, weight: 9 },
            { address: '198.51.100.3', protocol_port: 80, weight: 2 },
            { address: '198.51.100.4', protocol_port: 8080, name: 'new', tags: ['n'] },
          ],
        });
        assert.equal(res.status, 202);
        assert.equal(res.body, null);
        const during = (await app.request('GET', membersOf(pool.id))).body.members;
        const status = Object.fromEntries(during.map((m: any) => [m.address, m.provisioning_status]));
        assert.deepEqual(status, {
          '198.51.100.1': 'PENDING_UPDATE',
          '198.51.100.2': 'PENDING_DELETE',
          '198.51.100.3': 'ACTIVE',
          '198.51.100.4': 'PENDING_CREATE',
        });
        assert.equal(await lbStatus(), 'PENDING_UPDATE');
        assert.equal((await app.request('GET', `/v2/lbaas/pools/${pool.id}`)).body.pool.provisioning_status, 'PENDING_UPDATE');
        const again = await app.request('PUT', membersOf(pool.id), { members: [] });
        assert.equal(again.status, 409);
      } finally {
        await app.setWorker(true);
      }
      await settle();
      const members = (await app.request('GET', `${membersOf(pool.id)}?sort=address`)).body.members;
      assert.deepEqual(
        members.map((m: any) => [m.address, m.protocol_port, m.name, m.weight, m.provisioning_status]),
        [
          ['198.51.100.1', 80, 'keep', 9, 'ACTIVE'],
          ['198.51.100.3', 80, '', 2, 'ACTIVE'],
          ['198.51.100.4', 8080, 'new', 1, 'ACTIVE'],
        ],
      );
      assert.equal(members[0].id, keep.id, 'an updated member keeps its id');
      assert.equal(members[1].id, same.id);
      assert.deepEqual(members[1].tags, ['t'], 'fields left out of the list are kept');
      assert.equal((await app.request('GET', `${membersOf(pool.id)}/${drop.id}`)).status, 404);
      assert.equal((await app.request('GET', `/v2/lbaas/pools/${pool.id}`)).body.pool.provisioning_status, 'ACTIVE');

      const emptied = await app.request('PUT', membersOf(pool.id), { members: [] });
      assert.equal(emptied.status, 202);
      await settle();
      assert.deepEqual(await listAddresses(pool.id), []);
    });

    test('batch update with additive_only=true leaves unlisted members alone', async () => {
      const { pool } = await newPool();
      await addMember(pool.id, { address: '198.51.100.11', protocol_port: 80 });
      const res = await app.request('PUT', `${membersOf(pool.id)}?additive_only=true`, {
        members: [{ address: '198.51.100.12', protocol_port: 80 }],
      });
      assert.equal(res.status, 202);
      await settle();
      assert.deepEqual(await listAddresses(pool.id), ['198.51.100.11:80', '198.51.100.12:80']);
      const bad = await app.request('PUT', `${membersOf(pool.id)}?additive_only=maybe`, { members: [] });
      assert.equal(bad.status, 400);
      assert.match(bad.body.faultstring, /additive_only/);
      assert.deepEqual(await listAddresses(pool.id), ['198.51.100.11:80', '198.51.100.12:80']);
    });

    test('a batch that changes nothing is 202 and does not lock the load balancer', async () => {
      const { pool } = await newPool();
      const m = await addMember(pool.id, { address: '198.51.100.21', protocol_port: 80, weight: 3 });
      const before = (await app.request('GET', `${membersOf(pool.id)}/${m.id}`)).body.member;
      await app.setWorker(false);
      try {
        const restated = await app.request('PUT', membersOf(pool.id), { members: [{ address: '198.51.100.21', protocol_port: 80, weight: 3 }] });
        assert.equal(restated.status, 202);
        assert.equal(await lbStatus(), 'ACTIVE');
        const additiveEmpty = await app.request('PUT', `${membersOf(pool.id)}?additive_only=1`, { members: [] });
        assert.equal(additiveEmpty.status, 202);
        assert.equal(await lbStatus(), 'ACTIVE');
        assert.equal((await app.request('GET', `/v2/lbaas/pools/${pool.id}`)).body.pool.provisioning_status, 'ACTIVE');
        assert.deepEqual((await app.request('GET', membersOf(pool.id))).body.members, [before], 'the member is untouched');
        const queued = await app.rt.database.db.selectFrom('job').select('id').where('state', '=', 'queued').execute();
        assert.equal(queued.length, 0, 'no job was enqueued');
      } finally {
        await app.setWorker(true);
      }
    });

    test('batch faults: duplicates, reserved or SR-IOV new members, bad entries; nothing half-written', async () => {
      const { pool } = await newPool();
      await addMember(pool.id, { address: '198.51.100.31', protocol_port: 80, weight: 5 });
      const cases: [unknown, number, RegExp][] = [
        [{ members: [{ address: '198.51.100.32', protocol_port: 80 }, { address: '198.51.100.32', protocol_port: 80, weight: 2 }] }, 400, /^Member must be updated only once in the same request\.$/],
        [{ members: [{ address: '198.51.100.31', protocol_port: 80, weight: 9 }, { address: '169.254.169.254', protocol_port: 80 }] }, 400, /^169\.254\.169\.254 is not a valid option for member address$/],
        [{ members: [{ address: '198.51.100.33', protocol_port: 80, request_sriov: true }] }, 400, /SR-IOV/],
        [{ members: [{ address: '198.51.100.33', protocol_port: 80, bogus: 1 }] }, 400, /Unknown attribute for argument members: bogus/],
        [{ members: [{ address: '198.51.100.33' }] }, 400, /protocol_port\. Value: 'None'\. Mandatory field missing/],
        [{ members: [{ address: '198.51.100.33', protocol_port: 80, weight: 999 }] }, 400, /weight/],
        [{ members: {} }, 400, /members/],
        [{ member: [] }, 400, /Unknown attribute for argument body: member|Mandatory field missing/],
      ];
      for (const [body, status, message] of cases) {
        const res = await app.request('PUT', membersOf(pool.id), body);
        assert.equal(res.status, status, JSON.stringify(body));
        assert.match(res.body.faultstring, message);
      }
      assert.equal(await lbStatus(), 'ACTIVE');
      const members = (await app.request('GET', membersOf(pool.id))).body.members;
      assert.deepEqual(members.map((m: any) => [m.address, m.weight, m.provisioning_status]), [['198.51.100.31', 5, 'ACTIVE']]);
      const noPool = await app.request('PUT', membersOf(MISSING), { members: [] });
      assert.equal(noPool.status, 404);
      assert.equal(noPool.body.faultstring, `Pool ${MISSING} not found.`);
      const updatedRestated = await app.request('PUT', membersOf(pool.id), { members: [{ address: '198.51.100.31', protocol_port: 80, request_sriov: true }] });
      assert.equal(updatedRestated.status, 202, 'request_sriov is ignored for an existing member');
      await settle();
      assert.equal((await app.request('GET', membersOf(pool.id))).body.members[0].weight, 1, 'weight restated to its default');
    });

    test('list filters, tags and field selection', async () => {
      const { pool } = await newPool();
      const a = await addMember(pool.id, { address: '203.0.113.1', protocol_port: 80, name: 'a', weight: 5, tags: ['red', 'big'], monitor_port: 9100 });
      const b = await addMember(pool.id, { address: '203.0.113.2', protocol_port: 81, name: 'b', backup: true, tags: ['red'], subnet_id: SUBNET_B });
      const c = await addMember(pool.id, { address: '203.0.113.3', protocol_port: 80, name: 'c', admin_state_up: false, monitor_address: '203.0.113.99' });
      const { pool: other } = await newPool();
      await addMember(other.id, { address: '203.0.113.1', protocol_port: 80, name: 'a' });
      const ids = async (query: string) => {
        const res = await app.request('GET', `${membersOf(pool.id)}?${query}`);
        assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`);
        return res.body.members.map((m: any) => m.id).sort();
      };
      const sorted = (...ms: any[]) => ms.map((m) => m.id).sort();
      assert.deepEqual(await ids(''), sorted(a, b, c), 'only this pool');
      assert.deepEqual(await ids('name=a'), sorted(a));
      assert.deepEqual(await ids('address=203.0.113.2'), sorted(b));
      assert.deepEqual(await ids('protocol_port=80'), sorted(a, c));
      assert.deepEqual(await ids('weight=5'), sorted(a));
      assert.deepEqual(await ids('backup=true'), sorted(b));
      assert.deepEqual(await ids(`subnet_id=${SUBNET_B}`), sorted(b));
      assert.deepEqual(await ids('monitor_address=203.0.113.99'), sorted(c));
      assert.deepEqual(await ids('monitor_port=9100'), sorted(a));
      assert.deepEqual(await ids('admin_state_up=false'), sorted(c));
      assert.deepEqual(await ids('provisioning_status=ACTIVE&operating_status=NO_MONITOR'), sorted(a, b, c));
      assert.deepEqual(await ids('project_id=project-a'), sorted(a, b, c));
      assert.deepEqual(await ids(`id=${b.id}`), sorted(b));
      assert.deepEqual(await ids('tags=red'), sorted(a, b));
      assert.deepEqual(await ids('tags=red,big'), sorted(a));
      assert.deepEqual(await ids('tags-any=big&tags-any=none'), sorted(a));
      assert.deepEqual(await ids('not-tags=red'), sorted(c));
      assert.deepEqual(await ids('not-tags-any=big'), sorted(b, c));
      assert.deepEqual(await ids('protocol_port=99999999999'), []);
      const fields = await app.request('GET', `${membersOf(pool.id)}?fields=address&fields=protocol_port&sort=address:desc`);
      assert.deepEqual(fields.body.members, [
        { address: '203.0.113.3', protocol_port: 80 },
        { address: '203.0.113.2', protocol_port: 81 },
        { address: '203.0.113.1', protocol_port: 80 },
      ]);
      const page = await app.request('GET', `${membersOf(pool.id)}?limit=2&sort=name`);
      assert.equal(page.body.members.length, 2);
      assert.equal(page.body.members_links[0].rel, 'next');
      const unknown = await app.request('GET', `${membersOf(pool.id)}?pool_id=${pool.id}`);
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.faultstring, 'One or more arguments are either duplicate or invalid');
      assert.equal((await app.request('GET', `${membersOf(pool.id)}?weight=heavy`)).status, 400);
    });
  });
}
