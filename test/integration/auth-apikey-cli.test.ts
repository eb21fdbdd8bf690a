// `fulcrum apikey create|list|revoke` as a user runs it, against the database a running API
// uses (PostgreSQL) and against the embedded database of `fulcrum serve` (PGlite, stopped).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const BIN = fileURLToPath(new URL('../../bin/fulcrum.js', import.meta.url));
const run = promisify(execFile);

async function fulcrum(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function field(stdout: string, name: string): string {
  const m = new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(stdout);
  assert.ok(m, `${name} in ${stdout}`);
  return m[1];
}

describe('fulcrum apikey against a running API (postgres)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('postgres', { config: { authStrategy: 'apikey' } });
  });
  after(async () => {
    await app?.close();
  });

  it('creates a key the API accepts at once, lists it without the key, revokes it', async () => {
    const env = { FULCRUM_DATABASE_URL: app.url! };
    const created = await fulcrum(['apikey', 'create', '--project', 'cli-project', '--role', 'load-balancer_member', '--role', 'load-balancer_observer', '--name', 'ci'], env);
    assert.equal(created.code, 0, created.stderr);
    const key = field(created.stdout, 'key');
    const id = field(created.stdout, 'id');
    const lb = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: '8b6c4c0e-1d2e-4f1a-9f0a-1b2c3d4e5f60' } }, { authorization: `Bearer ${key}` });
    assert.equal(lb.status, 201);
    assert.equal(lb.body.loadbalancer.project_id, 'cli-project');

    const listed = await fulcrum(['apikey', 'list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^${id}\\s+ci\\s+cli-project\\s+load-balancer_member,load-balancer_observer\\s+\\S+Z\\s+\\S+Z\\s+-$`, 'm'), 'used, not revoked');
    assert.ok(!listed.stdout.includes(key));

    const revoked = await fulcrum(['apikey', 'revoke', id], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await app.request('GET', '/v2/lbaas/loadbalancers', undefined, { 'x-auth-token': key })).status, 401);
    const again = await fulcrum(['apikey', 'revoke', id], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no active API key/);
  });
});

describe('fulcrum apikey on the embedded database (pglite)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fulcrum-apikey-cli-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, lists and revokes, and rejects bad input with a message', async () => {
    const env = { FULCRUM_DATA_DIR: dir };
    const created = await fulcrum(['apikey', 'create', '--project', 'p1', '--role', 'reader,load-balancer_observer'], env);
    assert.equal(created.code, 0, created.stderr);
    assert.match(field(created.stdout, 'key'), /^fulcrum_[A-Za-z0-9_-]{43}$/);
    const listed = await fulcrum(['apikey', 'list'], env);
    assert.match(listed.stdout, /^ID\s+NAME\s+PROJECT\s+ROLES\s+CREATED\s+LAST USED\s+REVOKED$/m);
    assert.match(listed.stdout, /\s-\s+p1\s+reader,load-balancer_observer\s/);
    const bad = await fulcrum(['apikey', 'create', '--project', 'p1', '--role', 'a b'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /role "a b" must be/);
    const missing = await fulcrum(['apikey', 'create', '--project', 'p1'], env);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /at least one role is required/);
    const revoked = await fulcrum(['apikey', 'revoke', field(created.stdout, 'id')], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match((await fulcrum(['apikey', 'list'], env)).stdout, /Z\s*$/m);
  });
});
