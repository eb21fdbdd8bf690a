// How the amphora agent becomes one JavaScript file: esbuild bundles src/agent/main.ts with the
// sources it imports into dist/agent (git-ignored), which bin/fulcrum-amphora-agent.js runs
// instead of having tsx compile and load some seventy TypeScript modules at every start (that
// start is part of the outage when a dead agent comes back with its amphorae). `fulcrum host
// join`, which runs the agent on a joined host, gets a file of its own the same way. The packages
// it uses are bundled too: loading their nine hundred files from node_modules one by one took
// 40% of a start that compiled no TypeScript (bench/agent-start.ts). `npm ci` builds it (the `prepare` script); the
// manifest written beside it lets bin/agent-bundle.js run it only while it matches every file
// it was built from, node_modules included.
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_BUNDLE_DIR, AGENT_BUNDLE_FILE, AGENT_BUNDLE_MANIFEST, HOST_JOIN_BUNDLE_FILE, agentBundleStaleness, sourceDigest } from '../../bin/agent-bundle.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Source entry → the bundle file made of it. */
const ENTRIES: Record<string, string> = { 'src/agent/main.ts': AGENT_BUNDLE_FILE, 'src/cli/host-join-main.ts': HOST_JOIN_BUNDLE_FILE };
/**
 * Files the agent finds beside its own module (import.meta.url) at run time: every file of
 * src/agent that is not TypeScript (a probe, keepalived's check script).
 */
const BESIDE = readdirSync(join(ROOT, 'src/agent'))
  .filter((file) => !file.endsWith('.ts'))
  .sort()
  .map((file) => `src/agent/${file}`);

export interface AgentBundleManifest {
  /** Relative to the bundle's directory: every source compiled into it and every file copied beside it. */
  inputs: string[];
  digest: string;
}

/**
 * Builds into a staging directory inside `dir`, then renames each file into place, the
 * manifest last: an agent starting meanwhile reads whole files, and a bundle beside the
 * manifest of another build was built from the same sources or fails the digest.
 */
export async function buildAgentBundle(dir = AGENT_BUNDLE_DIR): Promise<AgentBundleManifest> {
  const { build } = await import('esbuild');
  const staging = join(dir, `.build-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: Object.entries(ENTRIES).map(([source, file]) => ({ in: source, out: file.replace(/\.mjs$/, '') })),
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      // The CommonJS packages inside call require() for Node's own modules.
      banner: { js: "import { createRequire as fulcrumCreateRequire } from 'node:module'; const require = fulcrumCreateRequire(import.meta.url);" },
      platform: 'node',
      format: 'esm',
      target: 'node20',
      metafile: true,
      logLevel: 'warning',
    });
    for (const file of BESIDE) copyFileSync(join(ROOT, file), join(staging, file.split('/').pop()!));
    const inputs = [...Object.keys(result.metafile.inputs), ...BESIDE].sort().map((file) => relative(dir, join(ROOT, file)));
    const manifest: AgentBundleManifest = { inputs, digest: sourceDigest(dir, inputs) };
    writeFileSync(join(staging, AGENT_BUNDLE_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    for (const file of [...Object.values(ENTRIES), ...BESIDE.map((f) => f.split('/').pop()!), AGENT_BUNDLE_MANIFEST]) renameSync(join(staging, file), join(dir, file));
    return manifest;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Builds the bundle unless one matching the sources is there; true when it built. */
export async function ensureAgentBundle(dir = AGENT_BUNDLE_DIR): Promise<boolean> {
  if (agentBundleStaleness(dir) === null) return false;
  await buildAgentBundle(dir);
  return true;
}
