// A control plane with real amphorae on the process compute driver: its own data directory
// (agent, HAProxy run dirs), a free agent port and a loopback VIP subnet registered through
// the API. `close()` stops exactly what it started.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { startTestApp, type TestApp } from './app.ts';
import type { FulcrumConfig } from '../../src/config.ts';
import { freePort, stopLocalDataPlane } from './data-plane.ts';
import { createApiKey } from '../../src/auth/apikey-store.ts';

export interface AmphoraApp {
  app: TestApp;
  dataDir: string;
  subnetId: string;
  /** Under the apikey strategy: an administrator's key (null otherwise). */
  adminKey: string | null;
  close(): Promise<void>;
}

/** `secondOctet` bounds the 127.x.y.0/24 VIP subnet, so test files running at once do not meet. */
export async function startProcessAmphoraApp(
  name: string,
  secondOctet: [number, number],
  healthPollMs: number,
  config: Partial<FulcrumConfig> = {},
): Promise<AmphoraApp> {
  const dataDir = mkdtempSync(join(tmpdir(), `fulcrum-e2e-${name}-`));
  const app = await startTestApp('pglite', {
    health: true,
    config: {
      defaultProvider: 'amphora',
      networkDriver: 'local',
      computeDriver: 'process',
      dataDir,
      localAgentPort: await freePort(),
      healthPollMs,
      // The certificate key comes from a key file generated in the data directory, as in `fulcrum serve`.
      secretKey: null,
      ...config,
    },
  });
  const cidr = `127.${randomInt(...secondOctet)}.${randomInt(0, 255)}.0/24`;
  const adminKey = config.authStrategy === 'apikey' ? (await createApiKey(app.rt.database.db, { projectId: 'admin', roles: ['admin'], name: 'admin' })).key : null;
  const auth: Record<string, string> = adminKey ? { 'x-auth-token': adminKey } : {};
  const network = (await app.request('POST', '/v2/fulcrum/networks', { network: { name } }, auth)).body.network;
  const subnetId = (await app.request('POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.id, cidr } }, auth)).body.subnet.id;
  return {
    app,
    dataDir,
    subnetId,
    adminKey,
    async close() {
      await app.close().catch(() => {});
      stopLocalDataPlane(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
