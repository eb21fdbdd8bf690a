// An OpenStack client configured with a token works against the apikey strategy unchanged:
// the `openstack` CLI with keystoneauth's admin_token plugin sends the key as X-Auth-Token.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { startTestApp, SUBNET, type TestApp } from '../helpers/app.ts';
import { createApiKey } from '../../src/auth/apikey-store.ts';

const OPENSTACK = '/usr/bin/openstack';
const run = promisify(execFile);

async function openstack(endpoint: string, token: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(FULCRUM_|OS_)/.test(k)) env[k] = v;
  try {
    const { stdout, stderr } = await run(OPENSTACK, ['--os-auth-type', 'admin_token', '--os-endpoint', endpoint, '--os-token', token, ...args], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('openstack CLI with an API key as its token', { skip: !existsSync(OPENSTACK) && 'python-openstackclient is not installed' }, () => {
  let app: TestApp;
  let endpoint: string;
  let key: string;
  let lbId: string;

  before(async () => {
    app = await startTestApp('pglite', { config: { authStrategy: 'apikey' } });
    endpoint = `${await app.api.listen({ host: '127.0.0.1', port: 0 })}`;
    key = (await createApiKey(app.rt.database.db, { projectId: 'cli-project', roles: ['load-balancer_member'] })).key;
    const other = (await createApiKey(app.rt.database.db, { projectId: 'other-project', roles: ['load-balancer_member'] })).key;
    const own = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, name: 'mine' } }, { 'x-auth-token': key });
    assert.equal(own.status, 201);
    lbId = own.body.loadbalancer.id;
    const theirs = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, name: 'theirs' } }, { 'x-auth-token': other });
    assert.equal(theirs.status, 201);
  });
  after(async () => {
    await app?.close();
  });

  it("lists and shows the key's project's load balancers, and nothing of others", async () => {
    const list = await openstack(endpoint, key, ['loadbalancer', 'list', '-f', 'json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout).map((lb: { name: string }) => lb.name), ['mine']);
    const show = await openstack(endpoint, key, ['loadbalancer', 'show', lbId, '-f', 'json']);
    assert.equal(show.code, 0, show.stderr);
    assert.equal(JSON.parse(show.stdout).project_id, 'cli-project');
  });

  it('fails with an authentication error for a key Fulcrum does not know', async () => {
    const res = await openstack(endpoint, 'fulcrum_unknown', ['loadbalancer', 'list', '-f', 'json']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /401|Unauthorized|requires authentication/i);
  });
});
