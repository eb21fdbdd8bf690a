// The policy profiles judged for each role: Octavia's defaults (docs/octavia-compatibility.md §7.2/§7.3 effective
// role matrix) and its two opt-in alternatives.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyEngine } from '../../src/auth/policy-engine.ts';
import { credentialsOf } from '../../src/auth/policy.ts';
import { ACTION_RULES, OCTAVIA_PREFIX, type PolicyProfile } from '../../src/auth/policy-defaults.ts';
import { withImpliedRoles } from '../../src/auth/apikey.ts';

const engine = new PolicyEngine();
const OWN = 'p-own';
const OTHER = 'p-other';

function allowedBy(e: PolicyEngine, roles: string[], action: string, target: string): boolean {
  const creds = credentialsOf({ projectId: OWN, roles: withImpliedRoles(roles), isAdmin: false }, e);
  return e.enforce(OCTAVIA_PREFIX + action, { project_id: target }, creds);
}

function allowed(roles: string[], action: string, target: string): boolean {
  return allowedBy(engine, roles, action, target);
}

// [roles, own read, own write, other read, list all, own quota read, other quota read, quota write, admin API, flavor read]
const MATRIX: [string[], boolean, boolean, boolean, boolean, boolean, boolean, boolean, boolean, boolean][] = [
  // Keystone's plain roles are not enough: Octavia's default requires a load-balancer_* role.
  [['reader'], false, false, false, false, false, false, false, false, false],
  [['member'], false, false, false, false, false, false, false, false, false],
  [['admin'], true, true, true, true, true, true, true, true, true],
  [['load-balancer_observer'], true, false, false, false, true, false, false, false, true],
  [['load-balancer_global_observer'], true, false, true, true, true, true, false, false, true],
  [['load-balancer_member'], true, true, false, false, true, false, false, false, true],
  [['load-balancer_quota_admin'], false, false, false, false, true, true, true, false, false],
  [['load-balancer_admin'], true, true, true, true, true, true, true, true, true],
  [['service'], false, false, false, false, false, false, false, false, false],
  [[], false, false, false, false, false, false, false, false, false],
];

describe('default policy', () => {
  for (const [roles, ownRead, ownWrite, otherRead, global, quotaOwn, quotaOther, quotaWrite, adminApi, flavorRead] of MATRIX) {
    it(`roles [${roles.join(', ')}]`, () => {
      for (const resource of ['loadbalancer', 'listener', 'pool', 'member', 'healthmonitor', 'l7policy', 'l7rule']) {
        assert.equal(allowed(roles, `${resource}:get_one`, OWN), ownRead, `${resource}:get_one own`);
        assert.equal(allowed(roles, `${resource}:get_one`, OTHER), otherRead, `${resource}:get_one other`);
        assert.equal(allowed(roles, `${resource}:get_all-global`, OWN), global, `${resource}:get_all-global`);
        for (const write of ['post', 'put', 'delete']) {
          assert.equal(allowed(roles, `${resource}:${write}`, OWN), ownWrite, `${resource}:${write} own`);
          assert.equal(allowed(roles, `${resource}:${write}`, OTHER), adminApi, `${resource}:${write} other`);
        }
      }
      assert.equal(allowed(roles, 'loadbalancer:get_stats', OWN), ownRead);
      assert.equal(allowed(roles, 'loadbalancer:get_status', OWN), ownRead);
      assert.equal(allowed(roles, 'loadbalancer:put_failover', OWN), adminApi, 'failover is admin-only');
      assert.equal(allowed(roles, 'quota:get_one', OWN), quotaOwn, 'quota own');
      assert.equal(allowed(roles, 'quota:get_one', OTHER), quotaOther, 'quota other');
      assert.equal(allowed(roles, 'quota:get_all-global', OWN), quotaOther, 'quota global');
      assert.equal(allowed(roles, 'quota:put', OWN), quotaWrite, 'quota write');
      assert.equal(allowed(roles, 'quota:delete', OTHER), quotaWrite, 'quota reset');
      for (const action of ['amphora:get_all', 'amphora:put_failover', 'flavor:post', 'flavor-profile:get_all', 'availability-zone-profile:get_one', 'provider-flavor:get_all']) {
        assert.equal(allowed(roles, action, OWN), adminApi, action);
      }
      for (const action of ['flavor:get_all', 'flavor:get_one', 'availability-zone:get_all', 'provider:get_all']) {
        assert.equal(allowed(roles, action, OWN), flavorRead, action);
      }
    });
  }

  it('the service role may list (only) members of any project', () => {
    assert.equal(allowed(['service'], 'member:get_all', OTHER), true);
    assert.equal(allowed(['service'], 'member:get_one', OTHER), false);
    assert.equal(allowed(['service'], 'pool:get_all', OTHER), false);
  });

  it('a project member that is not its owner is refused like anyone else', () => {
    assert.equal(allowed(['load-balancer_member'], 'loadbalancer:get_one', OTHER), false);
    assert.equal(allowed(['load-balancer_observer'], 'loadbalancer:get_all-global', OWN), false);
  });

  it('is_admin:True holds for context_is_admin roles and the noauth superuser', () => {
    assert.equal(credentialsOf({ projectId: OWN, roles: ['admin'], isAdmin: false }, engine).is_admin, true);
    assert.equal(credentialsOf({ projectId: OWN, roles: ['load-balancer_admin'], isAdmin: false }, engine).is_admin, true);
    assert.equal(credentialsOf({ projectId: OWN, roles: ['member'], isAdmin: false }, engine).is_admin, false);
    assert.equal(credentialsOf({ projectId: null, roles: [], isAdmin: true }, engine).is_admin, true);
  });

  it('names a rule for every action of docs/octavia-compatibility.md §7.1', () => {
    const resources = ['loadbalancer', 'listener', 'pool', 'member', 'healthmonitor', 'l7policy', 'l7rule'];
    for (const r of resources) for (const a of ['get_all', 'get_all-global', 'post', 'get_one', 'put', 'delete']) assert.ok(ACTION_RULES[`${r}:${a}`], `${r}:${a}`);
    for (const a of ['get_all', 'get_all-global', 'get_one', 'put', 'delete', 'get_defaults']) assert.ok(ACTION_RULES[`quota:${a}`], `quota:${a}`);
    for (const a of ['get_all', 'get_one', 'delete', 'get_stats', 'put_failover', 'put_config']) assert.ok(ACTION_RULES[`amphora:${a}`], `amphora:${a}`);
    for (const r of ['flavor', 'flavor-profile', 'availability-zone', 'availability-zone-profile']) {
      for (const a of ['get_all', 'get_one', 'post', 'put', 'delete']) assert.ok(ACTION_RULES[`${r}:${a}`], `${r}:${a}`);
    }
    for (const a of ['provider:get_all', 'provider-flavor:get_all', 'provider-availability-zone:get_all', 'loadbalancer:get_stats', 'loadbalancer:get_status', 'listener:get_stats']) {
      assert.ok(ACTION_RULES[a], a);
    }
  });

  it('an undefined rule allows nobody, not even administrators', () => {
    const creds = credentialsOf({ projectId: OWN, roles: ['admin'], isAdmin: false }, engine);
    assert.equal(engine.enforce(`${OCTAVIA_PREFIX}nothing:get_all`, { project_id: OWN }, creds), false);
  });
});

// [roles, own read, own write, other read, list all, own quota read, quota write, admin API]
type ProfileRow = [string[], boolean, boolean, boolean, boolean, boolean, boolean, boolean];
const PROFILES: Record<Exclude<PolicyProfile, 'octavia'>, ProfileRow[]> = {
  'keystone-default-roles': [
    [['reader'], true, false, false, false, true, false, false],
    [['member'], true, true, false, false, true, false, false],
    [['admin'], true, true, true, true, true, true, true],
    [['load-balancer_member'], false, false, false, false, false, false, false],
    [['load-balancer_observer'], false, false, false, false, false, false, false],
    // Keeps the admin-only APIs (flavors, amphorae), not the project tree.
    [['load-balancer_admin'], false, false, false, false, false, false, true],
    [[], false, false, false, false, false, false, false],
  ],
  'admin-or-owner': [
    [['reader'], true, true, false, false, true, false, false],
    [['member'], true, true, false, false, true, false, false],
    [[], true, true, false, false, true, false, false],
    [['load-balancer_observer'], true, true, false, false, true, false, false],
    [['admin'], true, true, true, true, true, true, true],
    [['load-balancer_admin'], true, true, true, true, true, true, true],
  ],
};

for (const [profile, rows] of Object.entries(PROFILES)) {
  describe(`policy profile ${profile}`, () => {
    const e = new PolicyEngine({}, profile, profile as PolicyProfile);
    for (const [roles, ownRead, ownWrite, otherRead, global, quotaOwn, quotaWrite, adminApi] of rows) {
      it(`roles [${roles.join(', ')}]`, () => {
        const can = (action: string, target: string) => allowedBy(e, roles, action, target);
        for (const resource of ['loadbalancer', 'listener', 'pool', 'member', 'healthmonitor', 'l7policy', 'l7rule']) {
          assert.equal(can(`${resource}:get_one`, OWN), ownRead, `${resource}:get_one own`);
          assert.equal(can(`${resource}:get_all`, OWN), ownRead, `${resource}:get_all own`);
          assert.equal(can(`${resource}:get_one`, OTHER), otherRead, `${resource}:get_one other`);
          assert.equal(can(`${resource}:get_all-global`, OWN), global, `${resource}:get_all-global`);
          for (const write of ['post', 'put', 'delete']) assert.equal(can(`${resource}:${write}`, OWN), ownWrite, `${resource}:${write} own`);
          assert.equal(can(`${resource}:delete`, OTHER), otherRead && ownWrite, `${resource}:delete other`);
        }
        assert.equal(can('quota:get_one', OWN), quotaOwn, 'quota own');
        assert.equal(can('quota:put', OWN), quotaWrite, 'quota write');
        for (const action of ['flavor:get_all', 'provider:get_all', 'availability-zone:get_one']) assert.equal(can(action, OWN), ownRead, action);
        for (const action of ['amphora:get_all', 'flavor:post', 'flavor-profile:get_all', 'loadbalancer:put_failover']) assert.equal(can(action, OWN), adminApi, action);
      });
    }
  });
}
