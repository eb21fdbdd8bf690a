// Assembles the parts of a Fulcrum process from the configuration. Each role (api, worker)
// can run alone against PostgreSQL; `serve` runs them all in one process.
import { join } from 'node:path';
import type { FulcrumConfig } from './config.ts';
import { openDatabase, type Database, type OpenOptions } from './db/database.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { ProviderRegistry, type ProviderDriver } from './providers/driver.ts';
import { NoopDriver } from './providers/noop/noop-driver.ts';
import { DbStatusCallbacks, type StatusCallbacks } from './providers/status-callbacks.ts';
import { FlowRegistry } from './flows/flow.ts';
import { providerOperationFlow } from './flows/provider-flow.ts';
import { FlowWorker } from './flows/worker.ts';
import { NoopNetworkDriver } from './network/noop-network.ts';
import { LocalNetworkDriver } from './network/local-network.ts';
import { buildApi, type Api } from './api/app.ts';
import type { ComputeDriver } from './compute/compute-driver.ts';
import { ProcessComputeDriver } from './compute/process/process-driver.ts';
import { NetnsComputeDriver } from './compute/netns/netns-driver.ts';
import { NoopComputeDriver } from './compute/noop/noop-compute.ts';
import { ensureLocalAgent, type LocalAgentOptions } from './compute/local-agent.ts';
import { LocalAgentWatchdog } from './compute/local-agent-watchdog.ts';
import { controllerCa, controllerClientTls, sealPlaintextCaKeys } from './pki/ca-store.ts';
import { AmphoraProviderDriver } from './providers/amphora/amphora-driver.ts';
import { AgentGateway } from './providers/amphora/agent-gateway.ts';
import type { AmphoraAgents, HostCertificateAgents } from './providers/amphora/amphora-agents.ts';
import { NoopAmphoraAgents } from './providers/amphora/noop-agents.ts';
import { amphoraUnsupported } from './providers/amphora/support.ts';
import { renderAmphora } from './providers/amphora/render-amphora.ts';
import { amphoraFileContents } from './certs/amphora-files.ts';
import { secretStoreFor } from './certs/secret-store.ts';
import { HealthManager } from './health/health-manager.ts';
import { expectedIdentity, registerLocalHost } from './inventory/host-store.ts';
import { SparePoolKeeper } from './housekeeping/spare-pool-keeper.ts';
import { CertificateExpiryWatch } from './housekeeping/certificate-expiry-watch.ts';
import { EventRetention } from './housekeeping/event-retention.ts';
import { HostCertificateRenewal } from './housekeeping/host-cert-renewal.ts';
import { servedSerial } from './compute/agent-cert-renewal.ts';
import { webhookDeliveryFlow } from './observability/webhook-delivery.ts';
import { newDeliveryCounts, type WebhookDeliveryCounts } from './observability/webhook-counters.ts';

/** How this configuration opens its database (timeouts, where the LISTEN connection logs). */
export function databaseOptions(config: FulcrumConfig, log: Logger, extra: OpenOptions = {}): OpenOptions {
  return { connectTimeoutMs: config.databaseConnectTimeoutMs, statementTimeoutMs: config.databaseStatementTimeoutMs, log: log.child({ role: 'database' }), ...extra };
}

export function databaseUrl(config: FulcrumConfig): string {
  return config.databaseUrl ?? `pglite:${join(config.dataDir, 'db')}`;
}

export interface Runtime {
  config: FulcrumConfig;
  database: Database;
  log: Logger;
  providers: ProviderRegistry;
  flows: FlowRegistry;
  callbacks: StatusCallbacks;
  /** The data plane, set up on first use: workers need it all, the health manager only the agents. */
  dataPlane: DataPlane;
  /** Closes the agent connections (the agent and its amphorae keep running). */
  closeDataPlane(): Promise<void>;
  /** This process's webhook delivery outcomes (for the metrics endpoint). */
  webhookCounts: WebhookDeliveryCounts;
}

export interface DataPlane {
  /** Where amphorae go; for the local drivers this starts (or adopts) this host's agent. */
  compute(): Promise<ComputeDriver>;
  /** Clients for every host's agent, with the controller's certificate. */
  agents(): Promise<AmphoraAgents>;
  /** The same clients, for renewing joined hosts' certificates; absent where no agent runs (noop). */
  hostCertificates?(): Promise<HostCertificateAgents>;
}

/** Runs `make` once and keeps its result; a failure is not kept, so the next call tries again. */
function once<T>(make: () => Promise<T>): { get: () => Promise<T>; peek: () => Promise<T> | null } {
  let value: Promise<T> | null = null;
  return {
    get: () =>
      (value ??= make().catch((err: unknown) => {
        value = null;
        throw err;
      })),
    peek: () => value,
  };
}

function dataPlane(config: FulcrumConfig, database: Database, log: Logger): DataPlane & { close(): Promise<void> } {
  if (config.computeDriver === 'noop') {
    // No agent, no certificate authority, no process: the flows run against database rows only.
    const compute = new NoopComputeDriver();
    const agents = new NoopAmphoraAgents(database.db);
    return { compute: async () => compute, agents: async () => agents, close: async () => {} };
  }
  const ca = once(() => controllerCa(database.db, secretStoreFor(config)));
  // A joined host's agent must present its own certificate (named by its host id).
  const agents = once(async () => new AgentGateway(await controllerClientTls(await ca.get()), (url) => expectedIdentity(database.db, url)));
  let watchdog: LocalAgentWatchdog | null = null;
  const compute = once(async (): Promise<ComputeDriver> => {
    const local: LocalAgentOptions = { ca: await ca.get(), dir: join(config.dataDir, 'agent'), host: '127.0.0.1', port: config.localAgentPort, log, agentSettings: agentLogSettings(config) };
    const url = await ensureLocalAgent(local);
    // The controller's own agent is the inventory host named for this machine, beside the joined ones.
    const { host, movedFrom } = await registerLocalHost(database.db, config.hostName, local.host, Number(new URL(url).port));
    log.info({ host_id: host.id, host: host.name, url }, "this machine's agent is registered as an inventory host");
    if (movedFrom) {
      // Two data dirs of one machine under one name would take the row from each other at every start.
      log.warn({ host: host.name, from: movedFrom, url }, `host ${host.name} named the agent at ${movedFrom} until now; if that is another data dir's agent sharing this database, give each data dir its own FULCRUM_HOST_NAME`);
    }
    // The agent is detached so that it outlives the controller; while the controller runs, it
    // starts the agent again if it dies (and the agent then brings back its amphorae).
    if (config.localAgentWatchMs > 0) {
      watchdog ??= new LocalAgentWatchdog(local, config.localAgentWatchMs);
      watchdog.start();
    }
    return config.computeDriver === 'netns'
      ? new NetnsComputeDriver({ agentUrl: url, hostId: host.id, prefix: config.netnsPrefix, bridgeAddress: config.netnsBridgeAddress })
      : new ProcessComputeDriver(url, host.id);
  });
  return {
    compute: compute.get,
    agents: agents.get,
    hostCertificates: agents.get,
    async close() {
      await watchdog?.stop();
      await (await agents.peek()?.catch(() => null))?.close();
    },
  };
}

/** The operator's log settings, as the agent reads them. */
function agentLogSettings(config: FulcrumConfig): Record<string, string> {
  return {
    FULCRUM_AGENT_ACCESS_LOG_BYTES: String(config.accessLogBytes),
    FULCRUM_AGENT_ACCESS_LOG_RETENTION_SECONDS: String(config.accessLogRetentionSeconds),
    ...(config.logOffload ? { FULCRUM_AGENT_LOG_OFFLOAD: config.logOffload, FULCRUM_AGENT_LOG_OFFLOAD_FORMAT: config.logOffloadFormat } : {}),
  };
}

export interface RuntimeOptions {
  migrate: boolean;
  log?: Logger;
  database?: Database;
  /** Further provider drivers (vendor drivers), beside the built-in ones. */
  drivers?: (database: Database, callbacks: StatusCallbacks) => ProviderDriver[];
}

export async function openRuntime(config: FulcrumConfig, options: RuntimeOptions): Promise<Runtime> {
  const log = options.log ?? createLogger(config.logLevel);
  const database = options.database ?? (await openDatabase(databaseUrl(config), databaseOptions(config, log, { migrate: options.migrate })));
  for (const name of await sealPlaintextCaKeys(database.db, () => secretStoreFor(config))) {
    log.warn({ ca: name }, 'sealed the controller CA private key an older Fulcrum stored in plaintext');
  }
  const callbacks = new DbStatusCallbacks(database.db);
  const plane = dataPlane(config, database, log);
  const amphora = new AmphoraProviderDriver({
    db: database.db,
    callbacks,
    dataPlane: plane,
    render: (graph, amphora, peers) => renderAmphora(graph, amphora, peers, { protectionDefaults: config.protectionDefaults, connectionLogging: config.connectionLogging, logTransport: config.haproxyLogTransport }),
    fileContents: (files) => amphoraFileContents(database.db, secretStoreFor(config), files),
    unsupported: amphoraUnsupported,
    computeDriver: config.computeDriver,
    failoverAgentWaitMs: config.failoverAgentWaitMs,
  });
  const providers = new ProviderRegistry(
    [amphora, new NoopDriver(database.db, callbacks), ...(options.drivers?.(database, callbacks) ?? [])],
    { octavia: 'amphora' },
  );
  const flows = new FlowRegistry().register(providerOperationFlow(providers));
  for (const flow of amphora.operatorFlows()) flows.register(flow);
  const webhookCounts = newDeliveryCounts();
  flows.register(
    webhookDeliveryFlow(
      secretStoreFor(config),
      { maxAttempts: config.webhookMaxAttempts, retryBaseMs: config.webhookRetryBaseMs, retryCapMs: config.webhookRetryCapMs, timeoutMs: config.webhookTimeoutMs, addresses: { denied: config.webhookDeniedCidrs, allowed: config.webhookAllowedCidrs } },
      webhookCounts,
    ),
  );
  return {
    config,
    database,
    log,
    providers,
    flows,
    callbacks,
    dataPlane: plane,
    closeDataPlane: () => plane.close(),
    webhookCounts,
  };
}

/** The health manager: heartbeats in, statuses and statistics out, automatic failover. */
export async function startHealthManager(rt: Runtime): Promise<HealthManager> {
  const c = rt.config;
  const manager = new HealthManager({
    db: rt.database.db,
    secrets: secretStoreFor(c),
    agents: rt.dataPlane.agents,
    callbacks: rt.callbacks,
    log: rt.log.child({ role: 'health' }),
    settings: {
      bindHost: c.healthBindHost,
      port: c.healthPort,
      advertiseHost: c.healthAdvertiseHost,
      flushMs: c.healthPollMs,
      intervalMs: c.heartbeatIntervalMs,
      timeoutMs: c.heartbeatTimeoutMs,
      hostGraceMs: c.hostSilenceGraceMs,
      autoFailover: c.autoFailover,
      maxConcurrentFailovers: c.failoverMaxConcurrent,
      breaker: { fleet: c.breakerFleet, az: c.breakerAz, host: c.breakerHost, minSilent: c.breakerMinSilent },
      jobMaxAttempts: c.jobMaxAttempts,
      syncMs: HEARTBEAT_SYNC_MS,
    },
    noopAmphorae: c.computeDriver === 'noop',
  });
  await manager.start();
  return manager;
}

/** Housekeeping: the spare pool keeper, or null when FULCRUM_SPARE_POOL_SIZE is 0. */
export function startHousekeeping(rt: Runtime): SparePoolKeeper | null {
  if (rt.config.sparePoolSize === 0) return null;
  const keeper = new SparePoolKeeper({ db: rt.database.db, dataPlane: rt.dataPlane }, rt.config.sparePoolSize, rt.config.sparePoolCheckMs, rt.log.child({ role: 'housekeeping' }));
  keeper.start();
  return keeper;
}
/** Housekeeping's certificate.expiring events, or null when FULCRUM_CERT_EXPIRY_WARN_DAYS is 0. */
export function startCertificateExpiryWatch(rt: Runtime): CertificateExpiryWatch | null {
  if (rt.config.certExpiryWarnDays === 0) return null;
  const watch = new CertificateExpiryWatch(rt.database.db, rt.config.certExpiryWarnDays, rt.config.certExpiryCheckMs, rt.log.child({ role: 'housekeeping' }));
  watch.start();
  return watch;
}
/** Housekeeping's purge of events older than FULCRUM_EVENT_RETENTION_DAYS. */
export function startEventRetention(rt: Runtime): EventRetention {
  const retention = new EventRetention(rt.database.db, rt.config.eventRetentionDays, rt.config.certExpiryCheckMs, rt.log.child({ role: 'housekeeping' }));
  retention.start();
  return retention;
}
/** Housekeeping's renewal of joined hosts' agent certificates, or null where no agent runs (noop). */
export function startHostCertificateRenewal(rt: Runtime): HostCertificateRenewal | null {
  const agents = rt.dataPlane.hostCertificates;
  if (!agents) return null;
  const c = rt.config;
  const renewal = new HostCertificateRenewal({
    db: rt.database.db,
    ca: () => controllerCa(rt.database.db, secretStoreFor(c)),
    agents,
    servedSerial,
    log: rt.log.child({ role: 'housekeeping' }),
    validitySeconds: c.hostCertValiditySeconds,
    renewShare: c.hostCertRenewPercent / 100,
    intervalMs: c.hostCertCheckMs,
  });
  renewal.start();
  return renewal;
}
/** How often health managers check that every agent sends heartbeats to the live managers. */
const HEARTBEAT_SYNC_MS = 5000;

export function startWorker(rt: Runtime, owner?: string): FlowWorker {
  return new FlowWorker({
    database: rt.database,
    flows: rt.flows,
    log: rt.log.child({ role: 'worker' }),
    concurrency: rt.config.workerConcurrency,
    leaseMs: rt.config.jobLeaseMs,
    pollMs: rt.config.jobPollMs,
    owner,
  });
}

export function createApi(rt: Runtime): Promise<Api> {
  const network = rt.config.networkDriver === 'local' ? new LocalNetworkDriver() : new NoopNetworkDriver();
  return buildApi({ config: rt.config, database: rt.database, providers: rt.providers, network, log: rt.log, agents: rt.dataPlane.agents });
}

/**
 * A worker that restarts on a host with amphorae takes their agent back (or starts it again
 * after a reboot) at once, not only when the next amphora is placed.
 */
export async function adoptDataPlane(rt: Runtime): Promise<void> {
  const live = await rt.database.db.selectFrom('amphora').select('id').where('status', 'not in', ['DELETED', 'ERROR']).limit(1).executeTakeFirst();
  if (live) await rt.dataPlane.compute();
}
