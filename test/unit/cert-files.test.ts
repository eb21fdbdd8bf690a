// The agent's certificate directory: atomic 0600 writes, undo to the previous contents (files
// that were new are removed again), pruning to the files a config names, paths confined.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertFiles } from '../../src/agent/cert-files.ts';

test('install, restore, prune', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'fulcrum-certfiles-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'certs');
  const files = new CertFiles(dir);
  const f = (name: string, content: string) => ({ path: join(dir, name), content });

  await files.install([f('a.pem', 'A1'), f('b.pem', 'B1')]);
  assert.deepEqual(readdirSync(dir).sort(), ['a.pem', 'b.pem']);
  assert.equal(statSync(join(dir, 'a.pem')).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);

  const restore = await files.install([f('a.pem', 'A2'), f('b.pem', 'B1'), f('c.pem', 'C1')]);
  assert.equal(readFileSync(join(dir, 'a.pem'), 'utf8'), 'A2');
  await restore();
  assert.equal(readFileSync(join(dir, 'a.pem'), 'utf8'), 'A1', 'changed files get their previous contents back');
  assert.deepEqual(readdirSync(dir).sort(), ['a.pem', 'b.pem'], 'files that were new are removed again');

  await files.prune([f('b.pem', 'B1')]);
  assert.deepEqual(readdirSync(dir), ['b.pem']);

  for (const bad of [join(root, 'x.pem'), join(dir, 'sub', 'x.pem'), join(dir, '.hidden'), `${dir}/../x.pem`]) {
    await assert.rejects(files.install([{ path: bad, content: 'x' }]), /must be directly inside/, bad);
  }
  await assert.rejects(files.install([f('a.pem', '1'), f('a.pem', '2')]), /given twice/);
});
