// Whether the amphora agent may run from its bundle (dist/agent, built by `npm ci` through
// src/agent/bundle.ts): only when the files it was built from (its sources and the packages in
// it) are byte for byte the ones here, so an edit, a checkout or a pull after the build never
// runs old code. Plain JavaScript, because it decides before anything loads TypeScript. Hashing
// those 3 MB costs about 20 ms at each start; comparing times would miss a file copied with its
// old date.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const AGENT_BUNDLE_DIR = fileURLToPath(new URL('../dist/agent', import.meta.url));
export const AGENT_BUNDLE_FILE = 'fulcrum-amphora-agent.mjs';
/** `fulcrum host join` alone (src/cli/host-join-main.ts), built with the agent's bundle. */
export const HOST_JOIN_BUNDLE_FILE = 'fulcrum-host-join.mjs';
export const AGENT_BUNDLE_MANIFEST = 'manifest.json';

/** One digest over every input's name and content, in the order given. */
export function sourceDigest(dir, inputs) {
  const hash = createHash('sha256');
  for (const input of inputs) {
    hash.update(`${input}\0`);
    hash.update(readFileSync(join(dir, input)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Why the bundle in `dir` must not run (a sentence), or null when it matches its sources. */
export function agentBundleStaleness(dir = AGENT_BUNDLE_DIR) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, AGENT_BUNDLE_MANIFEST), 'utf8'));
  } catch {
    return `no agent bundle in ${dir}`;
  }
  try {
    if (sourceDigest(dir, manifest.inputs) === manifest.digest) return null;
  } catch (err) {
    return `the agent bundle in ${dir} names a source that is gone (${err.code ?? err.message})`;
  }
  return `the sources changed after the agent bundle in ${dir} was built`;
}
