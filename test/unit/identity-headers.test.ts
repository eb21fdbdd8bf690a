import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TOKEN_LENGTH, projectFromHeaders, wellFormedToken } from '../../src/auth/identity-headers.ts';

const problem = (raw: string[]) => {
  try {
    projectFromHeaders(raw);
  } catch (p) {
    return String(p);
  }
  return null;
};

test('a project header is held to a body project_id: at most 36 printable ASCII characters, once', () => {
  assert.equal(projectFromHeaders(['X-Project-Id', 'demo']), 'demo');
  assert.equal(projectFromHeaders(['x-tenant-id', 'a'.repeat(36)]), 'a'.repeat(36));
  assert.equal(projectFromHeaders(['X-Project-Id', 'p', 'X-Tenant-Id', 'p']), 'p');
  assert.equal(projectFromHeaders(['Host', 'x', 'X-Project-Id', '']), null);
  assert.equal(projectFromHeaders([]), null);
  assert.match(problem(['X-Project-Id', 'a'.repeat(37)])!, /longer than 36/);
  assert.match(problem(['X-Project-Id', 'a', 'x-project-id', 'b'])!, /given 2 times/);
  assert.match(problem(['X-Project-Id', 'Ã©'])!, /printable ASCII/, 'UTF-8 bytes as Node reads them (latin-1)');
  assert.match(problem(['X-Project-Id', 'a\tb'])!, /printable ASCII/);
  assert.match(problem(['X-Project-Id', 'a\x7fb'])!, /printable ASCII/);
  assert.match(problem(['X-Project-Id', 'a', 'X-Tenant-Id', 'b'])!, /different projects/);
});

test('a token must be one header of token characters, not longer than the limit', () => {
  const fernet = 'gAAAAABl' + 'x'.repeat(170) + '-_';
  assert.equal(wellFormedToken(['X-Auth-Token', fernet]), fernet);
  assert.equal(wellFormedToken(['X-Auth-Token', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln']), 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln');
  assert.equal(wellFormedToken(['X-Auth-Token', 'a'.repeat(MAX_TOKEN_LENGTH)]), 'a'.repeat(MAX_TOKEN_LENGTH));
  assert.equal(wellFormedToken(['X-Auth-Token', 'a'.repeat(MAX_TOKEN_LENGTH + 1)]), null);
  assert.equal(wellFormedToken(['X-Auth-Token', 'abc def']), null);
  assert.equal(wellFormedToken(['X-Auth-Token', 'abc\x01']), null);
  assert.equal(wellFormedToken(['X-Auth-Token', 'Ã©']), null);
  assert.equal(wellFormedToken(['X-Auth-Token', 'a', 'X-Auth-Token', 'b']), null);
  assert.equal(wellFormedToken(['X-Auth-Token', '']), null);
  assert.equal(wellFormedToken([]), null);
});
