// L7 rule contract on both back ends: the nested path and its 404s, create/update/delete
// through the worker with the policy, listener and LB locks (the policy must be ACTIVE),
// "Error parsing L7Rule" faults, PUT validating the merged rule, the 50-rule limit, and list
// filters, sorting, pagination, tags and field selection.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BACKENDS } from '../helpers/db.ts';
import { createActiveLoadBalancer, startTestApp, type TestApp } from '../helpers/app.ts';

const MISSING = '00000000-0000-4000-8000-0000000000b8';
const POLICIES = '/v2/lbaas/l7policies';

for (const backend of BACKENDS) {
  describe(`L7 rules (${backend})`, () => {
    let app: TestApp;
    let lb: any;
    let listener: any;
    before(async () => {
      app = await startTestApp(backend);
      lb = await createActiveLoadBalancer(app);
      const res = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } });
      assert.equal(res.status, 201);
      listener = res.body.listener;
      await settle();
    });
    after(async () => app?.close());

    const settle = () => app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
    const lbStatus = async () => (await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer.provisioning_status;
    const rulesOf = (policyId: string) => `${POLICIES}/${policyId}/rules`;
    const statusOf = async (path: string, key: string) => (await app.request('GET', path)).body[key].provisioning_status;

    async function newPolicy(): Promise<any> {
      const res = await app.request('POST', POLICIES, { l7policy: { listener_id: listener.id, action: 'REJECT' } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await settle();
      return res.body.l7policy;
    }

    async function addRule(policyId: string, rule: Record<string, unknown>): Promise<any> {
      const res = await app.request('POST', rulesOf(policyId), { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/api', ...rule } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await settle();
      return res.body.rule;
    }

    test('create is 201 PENDING_CREATE under `rule`, locks policy, listener and LB, and settles ACTIVE/ONLINE', async () => {
      const policy = await newPolicy();
      await app.setWorker(false);
      let rule: any;
      try {
        const res = await app.request('POST', rulesOf(policy.id), {
          rule: { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-Env', value: 'canary', tags: ['r'], tenant_id: 'ignored' },
        });
        assert.equal(res.status, 201);
        assert.deepEqual(Object.keys(res.body), ['rule']);
        rule = res.body.rule;
        assert.deepEqual(Object.keys(rule).sort(), [
          'admin_state_up', 'compare_type', 'created_at', 'id', 'invert', 'key', 'operating_status', 'project_id', 'provisioning_status', 'tags',
          'tenant_id', 'type', 'updated_at', 'value',
        ], 'no l7policy_id');
        assert.equal(rule.provisioning_status, 'PENDING_CREATE');
        assert.equal(rule.operating_status, 'OFFLINE');
        assert.equal(rule.invert, false);
        assert.equal(rule.project_id, 'project-a');
        assert.equal(await statusOf(`${POLICIES}/${policy.id}`, 'l7policy'), 'PENDING_UPDATE');
        assert.equal(await statusOf(`/v2/lbaas/listeners/${listener.id}`, 'listener'), 'PENDING_UPDATE');
        assert.equal(await lbStatus(), 'PENDING_UPDATE');
        const blocked = await app.request('POST', rulesOf(policy.id), { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/x' } });
        assert.equal(blocked.status, 409);
        assert.equal(blocked.body.faultstring, `L7Policy ${policy.id} is immutable and cannot be updated.`, 'the policy lock is checked first');
      } finally {
        await app.setWorker(true);
      }
      await settle();
      const active = await app.waitFor(`${rulesOf(policy.id)}/${rule.id}`, 'rule');
      assert.equal(active.provisioning_status, 'ACTIVE');
      assert.equal(active.operating_status, 'ONLINE');
      assert.equal(await statusOf(`${POLICIES}/${policy.id}`, 'l7policy'), 'ACTIVE');
      assert.equal(await statusOf(`/v2/lbaas/listeners/${listener.id}`, 'listener'), 'ACTIVE');
      const p = (await app.request('GET', `${POLICIES}/${policy.id}`)).body.l7policy;
      assert.deepEqual(p.rules, [{ id: rule.id }]);
      const list = await app.request('GET', rulesOf(policy.id));
      assert.deepEqual(Object.keys(list.body).sort(), ['rules', 'rules_links']);
      assert.deepEqual(list.body.rules.map((r: any) => r.id), [rule.id], 'the refused rule was not written');
    });

    test('an LB locked by another change is a 409 naming the LB; a policy in ERROR refuses rule changes', async () => {
      const policy = await newPolicy();
      const rule = await addRule(policy.id, {});
      await app.setWorker(false);
      try {
        assert.equal((await app.request('PUT', `/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { name: 'busy' } })).status, 200);
        const blocked = await app.request('PUT', `${rulesOf(policy.id)}/${rule.id}`, { rule: { value: '/b' } });
        assert.equal(blocked.status, 409);
        assert.equal(blocked.body.faultstring, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
      } finally {
        await app.setWorker(true);
      }
      await settle();
      await app.rt.database.db.updateTable('l7policy').set({ provisioning_status: 'ERROR' }).where('id', '=', policy.id).execute();
      for (const [method, path, body] of [
        ['POST', rulesOf(policy.id), { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/y' } }],
        ['PUT', `${rulesOf(policy.id)}/${rule.id}`, { rule: { value: '/z' } }],
        ['DELETE', `${rulesOf(policy.id)}/${rule.id}`, undefined],
      ] as const) {
        const res = await app.request(method, path, body);
        assert.equal(res.status, 409, method);
        assert.equal(res.body.faultstring, `L7Policy ${policy.id} is immutable and cannot be updated.`);
      }
      assert.equal(await lbStatus(), 'ACTIVE', 'a refused change leaves the LB unlocked');
    });

    test('404s: unknown policy in the path, unknown rule, a rule of another policy', async () => {
      const policy = await newPolicy();
      const other = await newPolicy();
      const rule = await addRule(policy.id, {});
      for (const [method, body] of [['GET', undefined], ['POST', { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/' } }]] as const) {
        const res = await app.request(method, rulesOf(MISSING), body);
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, { faultcode: 'Client', faultstring: `L7Policy ${MISSING} not found.`, debuginfo: null });
      }
      const unknown = await app.request('GET', `${rulesOf(policy.id)}/${MISSING}`);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.faultstring, `L7 Rule ${MISSING} not found.`);
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const res = await app.request(method, `${rulesOf(other.id)}/${rule.id}`, method === 'PUT' ? { rule: { value: '/x' } } : undefined);
        assert.equal(res.status, 404, method);
        assert.equal(res.body.faultstring, `L7 Rule ${rule.id} not found.`);
      }
    });

    test('validation: "Error parsing L7Rule" reasons, schema faults, and nothing written', async () => {
      const policy = await newPolicy();
      const cases: [Record<string, unknown>, string | RegExp][] = [
        [{ type: 'HEADER', compare_type: 'EQUAL_TO', value: 'x' }, 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key'],
        [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'bad key', value: 'x' }, 'Error parsing L7Rule: Invalid characters in key'],
        [{ type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'c', value: 'a;b' }, 'Error parsing L7Rule: Invalid characters in cookie value'],
        [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '' }, 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a value'],
        [{ type: 'PATH', compare_type: 'REGEX', value: '(' }, /^Error parsing L7Rule: Unable to parse regular expression: /],
        [{ type: 'FILE_TYPE', compare_type: 'CONTAINS', value: 'jpg' }, 'Error parsing L7Rule: Invalid L7 Rule: invalid comparison type for rule type'],
        [{ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'no' }, 'Error parsing L7Rule: Invalid L7 Rule: L7rule value no is not a boolean True string.'],
        [{ type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', key: 'k', value: '0' }, 'Error parsing L7Rule: Invalid L7 Rule: L7rule type SSL_VERIFY_RESULT does not use the "key" field.'],
        [{ type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: '-x', value: 'a' }, 'Error parsing L7Rule: Invalid L7 Rule: Invalid L7rule distinguished name field.'],
        [{ type: 'URL', compare_type: 'EQUAL_TO', value: 'a' }, /^Invalid input for field\/attribute type\. Value: 'URL'\. Value should be one of: HOST_NAME, /],
        [{ type: 'PATH', compare_type: 'LIKE', value: 'a' }, /^Invalid input for field\/attribute compare_type\. Value: 'LIKE'\. Value should be one of: REGEX, /],
        [{ type: 'PATH', compare_type: 'EQUAL_TO' }, "Invalid input for field/attribute value. Value: 'None'. Mandatory field missing."],
        [{ type: 'PATH', compare_type: 'EQUAL_TO', value: 'a\nb' }, /^Invalid input for field\/attribute value\. .*Value does not match the required pattern$/s],
        [{ type: 'PATH', compare_type: 'EQUAL_TO', value: 'x'.repeat(256) }, /Value should have a maximum character requirement of 255/],
        [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/', l7policy_id: policy.id }, 'Unknown attribute for argument rule: l7policy_id'],
      ];
      for (const [rule, message] of cases) {
        const res = await app.request('POST', rulesOf(policy.id), { rule });
        assert.equal(res.status, 400, JSON.stringify(rule));
        if (typeof message === 'string') assert.equal(res.body.faultstring, message);
        else assert.match(res.body.faultstring, message);
      }
      const wrongWrapper = await app.request('POST', rulesOf(policy.id), { l7rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/' } });
      assert.equal(wrongWrapper.status, 400);
      assert.equal(wrongWrapper.body.faultstring, "Invalid input for field/attribute rule. Value: 'None'. Mandatory field missing.", 'the wrapper key is `rule`');
      assert.equal(await lbStatus(), 'ACTIVE');
      assert.deepEqual((await app.request('GET', rulesOf(policy.id))).body.rules, [], 'nothing written');
    });

    test('update validates the merged rule, null invert is false; delete removes it', async () => {
      const policy = await newPolicy();
      const rule = await addRule(policy.id, { type: 'HEADER', compare_type: 'STARTS_WITH', key: 'X-A', value: 'v', invert: true, admin_state_up: false });
      assert.equal((await app.waitFor(`${rulesOf(policy.id)}/${rule.id}`, 'rule')).operating_status, 'OFFLINE', 'admin-down settles OFFLINE');
      const noKey = await app.request('PUT', `${rulesOf(policy.id)}/${rule.id}`, { rule: { key: null } });
      assert.equal(noKey.status, 400);
      assert.equal(noKey.body.faultstring, 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key');
      const immutable = await app.request('PUT', `${rulesOf(policy.id)}/${rule.id}`, { rule: { project_id: 'x' } });
      assert.equal(immutable.status, 400);
      assert.equal(immutable.body.faultstring, 'Unknown attribute for argument rule: project_id');

      const put = await app.request('PUT', `${rulesOf(policy.id)}/${rule.id}`, { rule: { type: 'PATH', key: null, value: '/v2', invert: null, admin_state_up: true, tags: ['x'] } });
      assert.equal(put.status, 200);
      const u = put.body.rule;
      assert.deepEqual([u.type, u.compare_type, u.key, u.value, u.invert, u.admin_state_up, u.tags, u.provisioning_status], ['PATH', 'STARTS_WITH', null, '/v2', false, true, ['x'], 'PENDING_UPDATE']);
      assert.equal(await statusOf(`${POLICIES}/${policy.id}`, 'l7policy'), 'PENDING_UPDATE');
      await settle();
      const settled = await app.waitFor(`${rulesOf(policy.id)}/${rule.id}`, 'rule');
      assert.equal(settled.operating_status, 'ONLINE');
      assert.notEqual(settled.updated_at, null);

      await app.setWorker(false);
      try {
        assert.equal((await app.request('DELETE', `${rulesOf(policy.id)}/${rule.id}`)).status, 204);
        assert.equal(await statusOf(`${rulesOf(policy.id)}/${rule.id}`, 'rule'), 'PENDING_DELETE');
        assert.equal(await statusOf(`${POLICIES}/${policy.id}`, 'l7policy'), 'PENDING_UPDATE');
      } finally {
        await app.setWorker(true);
      }
      await settle();
      assert.equal((await app.request('GET', `${rulesOf(policy.id)}/${rule.id}`)).status, 404);
      assert.deepEqual((await app.request('GET', `${POLICIES}/${policy.id}`)).body.l7policy.rules, []);
      assert.equal(await statusOf(`${POLICIES}/${policy.id}`, 'l7policy'), 'ACTIVE');
    });

    test('at most 50 rules a policy: the 51st is 409 "Too many rules on L7 policy"', async () => {
      const policy = await newPolicy();
      // The limit is about stored rules, so fill the policy directly rather than through 50 flows.
      await app.rt.database.db
        .insertInto('l7rule')
        .values(
          Array.from({ length: 50 }, (_, i) => ({
            id: randomUUID(),
            project_id: policy.project_id,
            l7policy_id: policy.id,
            provisioning_status: 'ACTIVE',
            operating_status: 'ONLINE',
            type: 'PATH',
            compare_type: 'EQUAL_TO',
            value: `/r${i}`,
          })),
        )
        .execute();
      const res = await app.request('POST', rulesOf(policy.id), { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/r50' } });
      assert.equal(res.status, 409);
      assert.equal(res.body.faultstring, `Too many rules on L7 policy ${policy.id}`);
      assert.equal(await lbStatus(), 'ACTIVE', 'the refusal rolled the lock back');
      await app.rt.database.db.deleteFrom('l7rule').where('l7policy_id', '=', policy.id).where('value', '=', '/r0').execute();
      await addRule(policy.id, { compare_type: 'EQUAL_TO', value: '/r50' });
    });

    test('list: filters, sorting, pagination, tags and field selection', async () => {
      const policy = await newPolicy();
      const made = [
        await addRule(policy.id, { type: 'PATH', value: '/a', tags: ['red'] }),
        await addRule(policy.id, { type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'b.example', invert: true, tags: ['red', 'blue'] }),
        await addRule(policy.id, { type: 'HEADER', compare_type: 'CONTAINS', key: 'X-C', value: 'c' }),
      ];
      const list = async (q: string) => (await app.request('GET', `${rulesOf(policy.id)}?${q}`)).body;
      assert.deepEqual((await list('type=HOST_NAME')).rules.map((r: any) => r.id), [made[1].id]);
      assert.deepEqual((await list('invert=true')).rules.map((r: any) => r.id), [made[1].id]);
      assert.deepEqual((await list('key=X-C')).rules.map((r: any) => r.id), [made[2].id]);
      assert.deepEqual((await list('compare_type=STARTS_WITH&value=/a')).rules.map((r: any) => r.id), [made[0].id]);
      assert.deepEqual((await list('sort=value:desc')).rules.map((r: any) => r.value), ['c', 'b.example', '/a']);
      assert.deepEqual((await list('tags-any=blue')).rules.map((r: any) => r.id), [made[1].id]);
      const page = await list('limit=2');
      assert.deepEqual(page.rules.map((r: any) => r.id), [made[0].id, made[1].id]);
      assert.equal(page.rules_links[0].rel, 'next');
      assert.deepEqual((await list(`limit=2&marker=${made[1].id}`)).rules.map((r: any) => r.id), [made[2].id]);
      assert.deepEqual((await list('fields=id&fields=type')).rules, made.map((r) => ({ id: r.id, type: r.type })));
      const shown = await app.request('GET', `${rulesOf(policy.id)}/${made[2].id}?fields=key&fields=value`);
      assert.deepEqual(shown.body, { rule: { key: 'X-C', value: 'c' } });
      for (const q of ['name=x', 'l7policy_id=x', 'sort=name']) {
        const bad = await app.request('GET', `${rulesOf(policy.id)}?${q}`);
        assert.equal(bad.status, 400, q);
      }
    });
  });
}
