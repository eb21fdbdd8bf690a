// The agent bundle runs only while it matches its sources byte for byte: a changed source (also
// one copied back with its old date), a missing one or a missing manifest send the agent to the
// TypeScript sources, each with a sentence saying why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_BUNDLE_MANIFEST, agentBundleStaleness, sourceDigest } from '../../bin/agent-bundle.js';

function bundleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-agent-bundle-'));
  writeFileSync(join(dir, 'a.ts'), 'export const a = 1;\n');
  writeFileSync(join(dir, 'b.ts'), 'export const b = 2;\n');
  writeFileSync(join(dir, AGENT_BUNDLE_MANIFEST), JSON.stringify({ inputs: ['a.ts', 'b.ts'], digest: sourceDigest(dir, ['a.ts', 'b.ts']) }));
  return dir;
}

test('a bundle whose sources are unchanged runs', (t) => {
  const dir = bundleDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(agentBundleStaleness(dir), null);
});

test('a source changed after the build, even with its old modification time, stops the bundle', (t) => {
  const dir = bundleDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const before = statSync(join(dir, 'b.ts'));
  writeFileSync(join(dir, 'b.ts'), 'export const b = 3;\n');
  utimesSync(join(dir, 'b.ts'), before.atime, before.mtime);
  assert.match(agentBundleStaleness(dir) ?? '', /^the sources changed after the agent bundle in .* was built$/);
});

test('a source that is gone, or no manifest, stops the bundle', (t) => {
  const dir = bundleDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  rmSync(join(dir, 'a.ts'));
  assert.match(agentBundleStaleness(dir) ?? '', /names a source that is gone \(ENOENT\)/);
  rmSync(join(dir, AGENT_BUNDLE_MANIFEST));
  assert.match(agentBundleStaleness(dir) ?? '', /^no agent bundle in /);
});

test('the digest covers names as well as contents', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-agent-bundle-'));
  try {
    writeFileSync(join(dir, 'a.ts'), 'same');
    writeFileSync(join(dir, 'b.ts'), 'same');
    assert.notEqual(sourceDigest(dir, ['a.ts']), sourceDigest(dir, ['b.ts']));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
