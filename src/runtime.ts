// Assembles the parts of a Fulcrum process from the configuration. Each role (api, worker)
// can run alone against PostgreSQL; `serve` runs them all in one process.
import { join } from 'node:path';
import type { FulcrumConfig } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
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

export function databaseUrl(config: FulcrumConfig): string {
  return config.databaseUrl ?? `pglite:${join(config.dataDir, 'db')}`;
}

export interface Runtime {
  config: FulcrumConfig;
  database: Database;
  log: Logger;
  providers: ProviderRegistry;
  flows: FlowRegistry;
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
  const database = options.database ?? (await openDatabase(databaseUrl(config), { migrate: options.migrate }));
  const callbacks = new DbStatusCallbacks(database.db);
  const providers = new ProviderRegistry([new NoopDriver(database.db, callbacks), ...(options.drivers?.(database, callbacks) ?? [])]);
  const flows = new FlowRegistry().register(providerOperationFlow(providers));
  return { config, database, log, providers, flows };
}

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
  return buildApi({ config: rt.config, database: rt.database, providers: rt.providers, network, log: rt.log });
}
