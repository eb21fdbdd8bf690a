// How the dashboard (the browser app in this folder) becomes static files: Vite bundles it into
// dist/ui, which the API serves under /ui/ (src/api/fulcrum/dashboard.ts). `npm ci` builds it
// (the `prepare` script); a server that finds it missing builds it before it listens.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
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
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(staging, dir);
  rmSync(old, { recursive: true, force: true });
}

/** Builds the dashboard unless it is there already; true when it built. */
export async function ensureDashboardBuilt(dir = DASHBOARD_DIR): Promise<boolean> {
  if (dashboardBuilt(dir)) return false;
  await buildDashboard(dir);
  return true;
}
