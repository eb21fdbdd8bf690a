import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CheckStringError, evaluate, parseCheckString, referencedRules, type Credentials } from '../../src/auth/check-string.ts';

const creds = (roles: string[], project: string | null = 'p1', extra: Record<string, unknown> = {}): Credentials => ({
  roles,
  project_id: project,
  is_admin: false,
  ...extra,
});
const rules: Record<string, boolean> = { yes: true, no: false };
const check = (text: string, c: Credentials, target: Record<string, unknown> = { project_id: 'p1' }) =>
  evaluate(parseCheckString(text), c, target, (name) => rules[name] ?? false);

describe('oslo.policy check strings', () => {
  it('@, ! and the empty string', () => {
    assert.equal(check('@', creds([])), true);
    assert.equal(check('!', creds(['admin'])), false);
    assert.equal(check('', creds([])), true);
    assert.equal(check('   ', creds([])), true);
  });

  it('role checks are case-insensitive and exact', () => {
    assert.equal(check('role:admin', creds(['Admin'])), true);
    assert.equal(check('role:load-balancer_member', creds(['load-balancer_member'])), true);
    assert.equal(check('role:member', creds(['load-balancer_member'])), false);
  });

  it('project_id:%(project_id)s compares the credential with the target', () => {
    assert.equal(check('project_id:%(project_id)s', creds([], 'p1')), true);
    assert.equal(check('project_id:%(project_id)s', creds([], 'p2')), false);
    // A missing target attribute or a project-less caller never matches.
    assert.equal(check('project_id:%(project_id)s', creds([], 'p1'), {}), false);
    assert.equal(check('project_id:%(project_id)s', creds([], null), { project_id: null }), false);
  });

  it('generic checks render booleans as Python does (is_admin:True)', () => {
    assert.equal(check('is_admin:True', creds([], 'p1', { is_admin: true })), true);
    assert.equal(check('is_admin:True', creds([], 'p1', { is_admin: false })), false);
    assert.equal(check('is_admin:False', creds([], 'p1', { is_admin: false })), true);
    assert.equal(check('user_id:u1', creds([], 'p1', { user_id: 'u1' })), true);
  });

  it('not binds tighter than and, and tighter than or', () => {
    // a or b and c  ==  a or (b and c)
    assert.equal(check('role:a or role:b and role:c', creds(['a'])), true);
    assert.equal(check('role:a or role:b and role:c', creds(['b'])), false);
    assert.equal(check('(role:a or role:b) and role:c', creds(['a'])), false);
    assert.equal(check('(role:a or role:b) and role:c', creds(['b', 'c'])), true);
    // not a and b  ==  (not a) and b
    assert.equal(check('not role:a and role:b', creds(['b'])), true);
    assert.equal(check('not role:a and role:b', creds(['a', 'b'])), false);
    assert.equal(check('not (role:a and role:b)', creds(['a'])), true);
    assert.equal(check('NOT role:a OR role:b', creds(['a', 'b'])), true);
  });

  it('parentheses may touch their checks and nest', () => {
    assert.equal(check('((role:a) or (role:b and (role:c)))', creds(['b', 'c'])), true);
    assert.equal(check('( role:a or role:b ) and role:c', creds(['a'])), false);
  });

  it('rule: references are resolved through the lookup', () => {
    assert.equal(check('rule:yes', creds([])), true);
    assert.equal(check('rule:no or rule:yes', creds([])), true);
    assert.equal(check('rule:unknown', creds([])), false);
    assert.deepEqual(referencedRules(parseCheckString('rule:a or (role:x and not rule:b)')), ['a', 'b']);
  });

  it('malformed strings fail with the offending part', () => {
    for (const bad of ['role:a or', 'and role:a', '(role:a', 'role:a)', 'admin', 'role:', 'role:a role:b', 'http://x:1', 'not']) {
      assert.throws(() => parseCheckString(bad), CheckStringError, bad);
    }
    assert.throws(() => parseCheckString('role:a or or role:b'), /unexpected "or"/);
  });
});
