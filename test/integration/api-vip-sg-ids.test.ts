// `vip_sg_ids` on load balancer create and update (API v2.29, docs/octavia-compatibility.md §5.1) on both back
// ends. Fulcrum's network service has no security groups, so an empty set (or null) is
// accepted and shown as `[]`, any id is refused as an unknown security group, and the extra
// policy rules `loadbalancer:post:vip_sg_ids` / `loadbalancer:put:vip_sg_ids` are judged
// whenever the body carries the field.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { BACKENDS } from '../helpers/db.ts';
import { SUBNET, createActiveLoadBalancer, startTestApp, type TestApp } from '../helpers/app.ts';
import { createApiKey } from '../../src/auth/apikey-store.ts';

const LBS = '/v2/lbaas/loadbalancers';
const SG = '5d0c6b6e-3a8f-4e61-9a55-0c1e8f2b7d31';
const FORBIDDEN = 'Policy does not allow this request to be performed.';

for (const backend of BACKENDS) {
  describe(`vip_sg_ids (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend);
    });
    after(async () => app?.close());

    const count = async () => (await app.request('GET', LBS)).body.loadbalancers.length;

    test('create accepts an empty list or null and shows []', async () => {
      for (const vip_sg_ids of [[], null]) {
        const res = await app.request('POST', LBS, { loadbalancer: { vip_subnet_id: SUBNET, vip_sg_ids } });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.deepEqual(res.body.loadbalancer.vip_sg_ids, []);
        const active = await app.waitFor(`${LBS}/${res.body.loadbalancer.id}`, 'loadbalancer');
        assert.deepEqual(active.vip_sg_ids, []);
      }
    });

    test('create with a security group id is refused as not found and creates nothing', async () => {
      const before = await count();
      const res = await app.request('POST', LBS, { loadbalancer: { vip_subnet_id: SUBNET, vip_sg_ids: [SG] } });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { faultcode: 'Client', faultstring: `Security Group ${SG} not found.`, debuginfo: null });
      assert.equal(await count(), before);
      const fullyPopulated = await app.request('POST', LBS, {
        loadbalancer: { vip_subnet_id: SUBNET, vip_sg_ids: [SG], listeners: [{ protocol: 'TCP', protocol_port: 80 }] },
      });
      assert.equal(fullyPopulated.status, 400);
      assert.equal(fullyPopulated.body.faultstring, `Security Group ${SG} not found.`);
      assert.equal(await count(), before);
    });

    test('ids must be UUIDs in a list', async () => {
      for (const vip_sg_ids of [['not-a-uuid'], SG]) {
        const res = await app.request('POST', LBS, { loadbalancer: { vip_subnet_id: SUBNET, vip_sg_ids } });
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.match(res.body.faultstring, /vip_sg_ids/);
      }
    });

    test('update accepts [] or null (clearing) and refuses an id without touching the load balancer', async () => {
      const lb = await createActiveLoadBalancer(app);
      for (const vip_sg_ids of [[], null]) {
        const res = await app.request('PUT', `${LBS}/${lb.id}`, { loadbalancer: { vip_sg_ids } });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(res.body.loadbalancer.vip_sg_ids, []);
        assert.equal(res.body.loadbalancer.provisioning_status, 'PENDING_UPDATE');
        await app.waitFor(`${LBS}/${lb.id}`, 'loadbalancer');
      }
      const refused = await app.request('PUT', `${LBS}/${lb.id}`, { loadbalancer: { name: 'renamed', vip_sg_ids: [SG] } });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.faultstring, `Security Group ${SG} not found.`);
      const after = (await app.request('GET', `${LBS}/${lb.id}`)).body.loadbalancer;
      assert.equal(after.provisioning_status, 'ACTIVE');
      assert.equal(after.name, lb.name);
    });
  });

  describe(`vip_sg_ids policy rules (${backend})`, () => {
    let app: TestApp;
    let dir: string;
    let member: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'fulcrum-vip-sg-policy-'));
      const file = join(dir, 'policy.yaml');
      writeFileSync(
        file,
        ['"os_load-balancer_api:loadbalancer:post:vip_sg_ids": "!"', '"os_load-balancer_api:loadbalancer:put:vip_sg_ids": "!"'].join('\n'),
      );
      app = await startTestApp(backend, { config: { authStrategy: 'apikey', policyFile: file } });
      member = (await createApiKey(app.rt.database.db, { projectId: 'project-p', roles: ['load-balancer_member'], name: 'member' })).key;
    });
    after(async () => {
      await app?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const as = (method: string, path: string, body?: unknown) => app.request(method, path, body, { 'x-auth-token': member });
    // TestApp.waitFor polls without a token, which apikey authentication refuses.
    async function activeAs(id: string): Promise<void> {
      for (let deadline = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 20))) {
        if ((await as('GET', `${LBS}/${id}`)).body.loadbalancer.provisioning_status === 'ACTIVE') return;
        if (Date.now() > deadline) throw new Error(`load balancer ${id} did not become ACTIVE`);
      }
    }

    test('a body carrying vip_sg_ids needs the extra rule, judged before the ids', async () => {
      for (const vip_sg_ids of [[], null, [SG]]) {
        const res = await as('POST', LBS, { loadbalancer: { vip_subnet_id: SUBNET, vip_sg_ids } });
        assert.equal(res.status, 403, JSON.stringify(res.body));
        assert.equal(res.body.faultstring, FORBIDDEN);
      }
      const created = await as('POST', LBS, { loadbalancer: { vip_subnet_id: SUBNET } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.loadbalancer.id;
      await activeAs(id);
      const put = await as('PUT', `${LBS}/${id}`, { loadbalancer: { vip_sg_ids: [] } });
      assert.equal(put.status, 403);
      assert.equal(put.body.faultstring, FORBIDDEN);
      assert.equal((await as('GET', `${LBS}/${id}`)).body.loadbalancer.provisioning_status, 'ACTIVE');
      assert.equal((await as('PUT', `${LBS}/${id}`, { loadbalancer: { name: 'x' } })).status, 200);
    });
  });
}
