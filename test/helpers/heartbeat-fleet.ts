// A fleet for health-manager tests without HAProxy: load balancers with a listener each on the
// noop provider, an amphora row per load balancer "run" by one agent, real health managers
// (real UDP sockets, the real database) and the agent's real HeartbeatSender, fed by a
// scripted source instead of HAProxy. The agent's REST API is the one stand-in
// (RecordingAgents): it keeps the settings a manager pushes so the sender can use them.
import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/observability/logger.ts';
import { HealthManager, type HealthManagerSettings, type HeartbeatAgents } from '../../src/health/health-manager.ts';
import { HeartbeatSender } from '../../src/agent/heartbeat-sender.ts';
import { settingsDigest, type HeartbeatSettings } from '../../src/agent/heartbeat-settings.ts';
import type { Snapshot } from '../../src/agent/heartbeat-snapshot.ts';
import type { Counters } from '../../src/agent/heartbeat-codec.ts';
import type { UnhealableReason } from '../../src/agent/healability.ts';
import { secretStoreFor } from '../../src/certs/secret-store.ts';
import { DbStatusCallbacks } from '../../src/providers/status-callbacks.ts';
import { createActiveLoadBalancer, startTestApp, type TestApp } from './app.ts';

export const AGENT_URL = 'https://agent-under-test.invalid:9443';

/** Stand-in for the agents' REST API: records what a manager sets. */
export class RecordingAgents implements HeartbeatAgents {
  readonly settings = new Map<string, HeartbeatSettings>();
  // These tests have no inventory hosts to ask.
  async ping(): Promise<boolean> {
    return true;
  }
  async heartbeatDigest(url: string): Promise<string | null> {
    const s = this.settings.get(url);
    return s ? settingsDigest(s) : null;
  }
  async configureHeartbeat(url: string, settings: HeartbeatSettings): Promise<void> {
    this.settings.set(url, settings);
  }
  /** The fleet's agent keeps no configurations of its own. */
  async hosted(_agentUrl: string): Promise<string[]> {
    return [];
  }
  async remove(_agentUrl: string, _amphoraId: string): Promise<void> {}
}

export interface FleetMember {
  loadBalancerId: string;
  listenerId: string;
  amphoraId: string;
}

export async function createFleet(app: TestApp, size: number, options: { availabilityZone?: (i: number) => string | null } = {}): Promise<FleetMember[]> {
  const fleet: FleetMember[] = [];
  for (let i = 0; i < size; i++) {
    const lb = await createActiveLoadBalancer(app);
    const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } });
    if (listener.status !== 201) throw new Error(`listener: ${JSON.stringify(listener.body)}`);
    await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
    const amphoraId = randomUUID();
    await app.rt.database.db
      .insertInto('amphora')
      .values({ id: amphoraId, load_balancer_id: lb.id, status: 'ALLOCATED', role: 'STANDALONE', compute_driver: 'process', agent_url: AGENT_URL })
      .execute();
    const az = options.availabilityZone?.(i) ?? null;
    if (az) await app.rt.database.db.updateTable('load_balancer').set({ availability_zone: az }).where('id', '=', lb.id).execute();
    fleet.push({ loadBalancerId: lb.id, listenerId: listener.body.listener.id, amphoraId });
  }
  return fleet;
}

export const TEST_SETTINGS: HealthManagerSettings = {
  bindHost: '127.0.0.1',
  port: 0,
  advertiseHost: null,
  flushMs: 100,
  intervalMs: 100,
  timeoutMs: 800,
  hostGraceMs: 2000,
  autoFailover: true,
  maxConcurrentFailovers: 10,
  breaker: { fleet: 0.5, az: 0.5, host: null, minSilent: 2 },
  jobMaxAttempts: 1,
  syncMs: 60_000,
};

export async function startManager(app: TestApp, agents: RecordingAgents, settings: Partial<HealthManagerSettings> = {}): Promise<HealthManager> {
  const manager = new HealthManager({
    db: app.rt.database.db,
    secrets: secretStoreFor(app.rt.config),
    agents: async () => agents,
    callbacks: new DbStatusCallbacks(app.rt.database.db),
    log: createLogger(process.env.FULCRUM_TEST_LOG ?? 'silent'),
    settings: { ...TEST_SETTINGS, ...settings },
  });
  await manager.start();
  return manager;
}

/** What the scripted HAProxy of each amphora reports; an amphora not in `silent` sends. */
export class ScriptedSource {
  readonly silent = new Set<string>();
  readonly running = new Map<string, boolean>();
  readonly counters = new Map<string, { epoch: string; listenerId: string; counters: Counters }>();
  /** What the agent would say of an amphora it cannot heal. */
  readonly faults = new Map<string, UnhealableReason>();
  /** The agent's count of daemon restarts per amphora. */
  readonly heals = new Map<string, number>();
  constructor(private readonly fleet: FleetMember[]) {}
  ids(): string[] {
    return this.fleet.map((m) => m.amphoraId).filter((id) => !this.silent.has(id));
  }
  async snapshot(id: string): Promise<Snapshot> {
    const running = this.running.get(id) ?? true;
    const c = this.counters.get(id);
    const heals = this.heals.get(id);
    const fault = this.faults.get(id) ?? null;
    if (!running) return { running: false, epoch: null, proxies: [], fault, heals };
    return { running: true, epoch: c?.epoch ?? 'e0', proxies: c ? [{ p: c.listenerId, s: 'FRONTEND', st: 'OPEN', c: c.counters }] : [], fault, heals };
  }
}

/** The agent's sender, configured with what the managers pushed to the agent. */
export function startSender(agents: RecordingAgents, source: ScriptedSource): HeartbeatSender {
  const settings = agents.settings.get(AGENT_URL);
  if (!settings) throw new Error('no manager has configured the agent');
  const sender = new HeartbeatSender(source, createLogger('silent'));
  sender.configure(settings);
  return sender;
}

export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Two health managers on PostgreSQL hearing a scripted fleet; no worker runs, so jobs stay queued to be counted. */
export async function startManagedFleet(size: number) {
  const app = await startTestApp('postgres', { worker: true });
  const fleet = await createFleet(app, size);
  await app.setWorker(false);
  const agents = new RecordingAgents();
  const managers = [await startManager(app, agents), await startManager(app, agents)];
  await managers[0].syncAgents();
  const source = new ScriptedSource(fleet);
  const sender = startSender(agents, source);
  await until('every amphora to be seen', async () => (await app.rt.database.db.selectFrom('amphora_health').select('amphora_id').execute()).length === fleet.length);
  return {
    app,
    fleet,
    source,
    managers,
    failoverJobs: () => app.rt.database.db.selectFrom('job').selectAll().where('dedupe_key', 'like', 'failover:%').execute(),
    async close() {
      await sender.stop();
      for (const m of managers) await m.stop();
      await app.close();
    },
  };
}

export type ManagedFleet = Awaited<ReturnType<typeof startManagedFleet>>;
