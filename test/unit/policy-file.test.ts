import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadPolicy, parsePolicyText } from '../../src/auth/policy-file.ts';
import { PolicyEngine, PolicyError } from '../../src/auth/policy-engine.ts';
import { credentialsOf } from '../../src/auth/policy.ts';
import { ConfigError } from '../../src/errors.ts';
import { loadConfig } from '../../src/config.ts';

function allows(engine: PolicyEngine, roles: string[], rule: string, target = 'p1'): boolean {
  return engine.enforce(rule, { project_id: target }, credentialsOf({ projectId: 'p1', roles, isAdmin: false }, engine));
}

describe('policy file', () => {
  it('reads Octavia-style YAML and JSON', () => {
    const yaml = parsePolicyText('# comment\n"os_load-balancer_api:loadbalancer:post": "rule:load-balancer:admin"\nload-balancer:read: "role:auditor"\n', 'p.yaml');
    assert.deepEqual(yaml, { 'os_load-balancer_api:loadbalancer:post': 'rule:load-balancer:admin', 'load-balancer:read': 'role:auditor' });
    assert.deepEqual(parsePolicyText('{"context_is_admin": "role:admin"}', 'p.json'), { context_is_admin: 'role:admin' });
    assert.deepEqual(parsePolicyText('', 'empty.yaml'), {});
  });

  it('overrides per-endpoint rules and aliases, keeping the other defaults', () => {
    const engine = new PolicyEngine({
      'os_load-balancer_api:loadbalancer:post': 'rule:load-balancer:admin',
      'load-balancer:observer_and_owner': 'role:auditor and rule:load-balancer:owner',
    });
    assert.equal(allows(engine, ['load-balancer_member'], 'os_load-balancer_api:loadbalancer:post'), false, 'members may no longer create LBs');
    assert.equal(allows(engine, ['load-balancer_member'], 'os_load-balancer_api:listener:post'), true, 'other defaults stay');
    assert.equal(allows(engine, ['auditor'], 'os_load-balancer_api:pool:get_one'), true, 'a custom role through an overridden alias');
    assert.equal(allows(engine, ['auditor'], 'os_load-balancer_api:pool:get_one', 'p2'), false);
    assert.equal(allows(engine, ['load-balancer_observer'], 'os_load-balancer_api:pool:get_one'), false, 'the replaced alias no longer admits observers');
  });

  it('may add new rules that overrides refer to', () => {
    const engine = new PolicyEngine({ 'my-ops': 'role:ops', 'os_load-balancer_api:amphora:get_all': 'rule:my-ops' });
    assert.equal(allows(engine, ['ops'], 'os_load-balancer_api:amphora:get_all'), true);
    assert.equal(allows(engine, ['admin'], 'os_load-balancer_api:amphora:get_all'), false);
  });

  it('rejects what it cannot use, naming each problem', () => {
    assert.throws(() => parsePolicyText('a: [1, 2]\nb: 3\n', 'p.yaml'), (err: Error) => err instanceof PolicyError && /"a" must be a check string/.test(err.message) && /"b"/.test(err.message));
    assert.throws(() => parsePolicyText('- role:admin\n', 'p.yaml'), /must be a mapping/);
    assert.throws(() => parsePolicyText('a: "x\n', 'p.yaml'), /not valid YAML or JSON/);
    assert.throws(() => new PolicyEngine({ 'load-balancer:read': 'role:a or' }), /rule "load-balancer:read": unexpected end/);
    assert.throws(() => new PolicyEngine({ 'load-balancer:read': 'rule:nope' }), /refers to undefined rule "nope"/);
    assert.throws(() => new PolicyEngine({ a: 'rule:b', b: 'rule:a' }), /cycle: a -> b -> a/);
  });

  it('FULCRUM_AUTH_STRATEGY and FULCRUM_POLICY_FILE are settings', () => {
    const c = loadConfig({ FULCRUM_AUTH_STRATEGY: 'apikey', FULCRUM_POLICY_FILE: 'etc/policy.yaml' });
    assert.equal(c.authStrategy, 'apikey');
    assert.match(c.policyFile!, /^\/.*etc\/policy\.yaml$/);
    assert.equal(loadConfig({}).authStrategy, 'noauth');
    assert.equal(loadConfig({}).policyFile, null);
    assert.equal(loadConfig({ FULCRUM_AUTH_STRATEGY: 'keystone' }).authStrategy, 'keystone');
    assert.throws(() => loadConfig({ FULCRUM_AUTH_STRATEGY: 'basic' }), /FULCRUM_AUTH_STRATEGY must be one of noauth, keystone, apikey/);
  });

  it('FULCRUM_POLICY_PROFILE picks the rules a policy file overrides', () => {
    assert.equal(loadConfig({}).policyProfile, 'octavia');
    assert.equal(loadConfig({ FULCRUM_POLICY_PROFILE: 'admin-or-owner' }).policyProfile, 'admin-or-owner');
    assert.throws(() => loadConfig({ FULCRUM_POLICY_PROFILE: 'owner' }), /FULCRUM_POLICY_PROFILE must be one of octavia, keystone-default-roles, admin-or-owner/);
    const dir = mkdtempSync(join(tmpdir(), 'fulcrum-policy-'));
    try {
      const file = join(dir, 'policy.yaml');
      writeFileSync(file, '"os_load-balancer_api:loadbalancer:delete": "rule:load-balancer:admin"\n');
      const engine = loadPolicy(file, 'keystone-default-roles');
      assert.equal(allows(engine, ['member', 'reader'], 'os_load-balancer_api:loadbalancer:get_one'), true, "the profile's rule");
      assert.equal(allows(engine, ['member', 'reader'], 'os_load-balancer_api:loadbalancer:delete'), false, "the file's rule");
      assert.equal(allows(loadPolicy(file), ['member', 'reader'], 'os_load-balancer_api:loadbalancer:get_one'), false, 'the default profile');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a bad FULCRUM_POLICY_FILE stops the start with a configuration error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fulcrum-policy-'));
    try {
      const file = join(dir, 'policy.yaml');
      writeFileSync(file, '"os_load-balancer_api:loadbalancer:post": "rule:load-balancer:nobody"\n');
      assert.throws(() => loadPolicy(file), (err: Error) => err instanceof ConfigError && err.message.includes('FULCRUM_POLICY_FILE') && err.message.includes(file));
      assert.throws(() => loadPolicy(join(dir, 'missing.yaml')), (err: Error) => err instanceof ConfigError && /ENOENT/.test(err.message));
      writeFileSync(file, '"os_load-balancer_api:loadbalancer:post": "!"\n');
      const engine = loadPolicy(file);
      assert.equal(allows(engine, ['admin'], 'os_load-balancer_api:loadbalancer:post'), false);
      assert.equal(allows(loadPolicy(null), ['admin'], 'os_load-balancer_api:loadbalancer:post'), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
