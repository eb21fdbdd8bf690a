// How the dashboard (the browser app in this folder) becomes static files: Vite bundles it into
// dist/ui, which the API serves under /ui/ (src/api/fulcrum/dashboard.ts). `npm ci` builds it
// (the `prepare` script); a server that finds it missing or older than its sources builds it
// before it listens.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE_DIR = dirname(fileURLToPath(import.meta.url));

/** Where the built dashboard lives (git-ignored). */
export const DASHBOARD_DIR = join(SOURCE_DIR, '../../dist/ui');

/** The page every dashboard route answers with. */
export const DASHBOARD_INDEX = 'index.html';

export function dashboardBuilt(dir = DASHBOARD_DIR): boolean {
  return existsSync(join(dir, DASHBOARD_INDEX));
}

/** The newest change to the dashboard's sources (a checkout or an edit after the last build). */
function newestSourceChange(): number {
  let newest = 0;
  for (const entry of readdirSync(SOURCE_DIR, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Built, and after the last change to its sources. */
export function dashboardCurrent(dir = DASHBOARD_DIR): boolean {
  return dashboardBuilt(dir) && statSync(join(dir, DASHBOARD_INDEX)).mtimeMs >= newestSourceChange();
}

function renameUnlessGone(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Builds into a fresh sibling directory, then swaps it in, so a server reading the dashboard
 * never sees half a build, and two processes building at once each leave a whole one.
 */
export async function buildDashboard(dir = DASHBOARD_DIR): Promise<void> {
  const { build } = await import('vite');
  const staging = `${dir}.build-${process.pid}`;
  mkdirSync(dirname(dir), { recursive: true });
  rmSync(staging, { recursive: true, force: true });
  await build({
    configFile: false,
    root: SOURCE_DIR,
    base: '/ui/',
    logLevel: 'warn',
    // No @preact/preset-vite: Vite's own transformer compiles JSX for Preact's runtime.
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: { outDir: staging, emptyOutDir: true, reportCompressedSize: false, chunkSizeWarningLimit: 200 },
  });
  const old = `${dir}.old-${process.pid}`;
  renameUnlessGone(dir, old);
  try {
    renameSync(staging, dir);
  } catch (err) {
    // Another process swapped its own build in meanwhile: built from the same sources, as good.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    rmSync(staging, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
}

/** Builds the dashboard unless a build of its current sources is there; true when it built. */
export async function ensureDashboardBuilt(dir = DASHBOARD_DIR): Promise<boolean> {
  if (dashboardCurrent(dir)) return false;
  await buildDashboard(dir);
  return true;
}
