// A whole Fulcrum control plane for a test: database (either back end), API (driven through
// fastify.inject or a real port) and a flow worker, with helpers to wait for statuses.
import { loadConfig, type FulcrumConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createApi, openRuntime, startHealthManager, startWorker, type Runtime, type RuntimeOptions } from '../../src/runtime.ts';
import type { Api } from '../../src/api/app.ts';
import type { FlowWorker } from '../../src/flows/worker.ts';
import { openTestDatabase, type Backend } from './db.ts';

export interface TestApp {
  backend: Backend;
  rt: Runtime;
  api: Api;
  worker: FlowWorker | null;
  url: string | null;
  /** Stops or restarts the flow worker, to hold objects PENDING deterministically. */
  setWorker(running: boolean): Promise<void>;
  /** JSON request through fastify.inject; returns status and parsed body. */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  /** Polls GET `path` until `key`'s provisioning_status is one of `statuses`. */
  waitFor(path: string, key: string, statuses?: string[], timeoutMs?: number): Promise<any>;
  close(): Promise<void>;
}

const TEST_SECRET_KEY = 'f'.repeat(64);

export async function startTestApp(
  backend: Backend,
  options: { worker?: boolean; health?: boolean; config?: Partial<FulcrumConfig>; drivers?: RuntimeOptions['drivers'] } = {},
): Promise<TestApp> {
  const testDb = await openTestDatabase(backend);
  // A fixed certificate key, so no test writes a key file into the working directory's .fulcrum.
  // No automatic failover unless a test asks: on a loaded machine an agent stalled past the
  // heartbeat timeout would otherwise replace amphorae under tests about something else.
  const config = loadConfig({}, { jobPollMs: 50, jobLeaseMs: 2000, defaultProvider: 'noop', networkDriver: 'noop', secretKey: TEST_SECRET_KEY, autoFailover: false, ...options.config });
  const rt = await openRuntime(config, {
    migrate: false,
    database: testDb.database,
    log: createLogger(process.env.FULCRUM_TEST_LOG ?? 'silent'),
    drivers: options.drivers,
  });
  let worker = options.worker === false ? null : startWorker(rt);
  await worker?.start();
  const health = options.health ? await startHealthManager(rt) : null;
  const api = await createApi(rt);
  await api.ready();
  const app: TestApp = {
    backend,
    rt,
    api,
    get worker() {
      return worker;
    },
    url: testDb.url,
    async setWorker(running) {
      if (!running && worker) {
        await worker.stop();
        worker = null;
      } else if (running && !worker) {
        worker = startWorker(rt);
        await worker.start();
      }
    },
    async request(method, path, body, headers = {}) {
      const res = await api.inject({
        method: method as never,
        url: path,
        headers: { 'x-project-id': 'project-a', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      let parsed: unknown = null;
      if (res.body.length > 0) {
        try {
          parsed = JSON.parse(res.body);
        } catch {
          parsed = res.body;
        }
      }
      return { status: res.statusCode, body: parsed, headers: res.headers };
    },
    async waitFor(path, key, statuses = ['ACTIVE', 'ERROR'], timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await app.request('GET', path);
        if (res.status === 404 && statuses.includes('DELETED')) return null;
        const obj = res.body?.[key];
        if (obj && statuses.includes(obj.provisioning_status)) return obj;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${path} to reach ${statuses.join('|')}: ${JSON.stringify(res.body)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      await api.close();
      await worker?.stop();
      await health?.stop();
      await rt.closeDataPlane();
      await testDb.close();
    },
  };
  return app;
}

export const SUBNET = '8b6c4c0e-1d2e-4f1a-9f0a-1b2c3d4e5f60';

/** Creates a load balancer and waits until it is ACTIVE. */
export async function createActiveLoadBalancer(app: TestApp, extra: Record<string, unknown> = {}): Promise<any> {
  const res = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, ...extra } });
  if (res.status !== 201) throw new Error(`LB create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return app.waitFor(`/v2/lbaas/loadbalancers/${res.body.loadbalancer.id}`, 'loadbalancer');
}
