// The `fulcrum` command: `serve` (everything in one process, embedded database) and the
// production roles `api`, `worker` and `migrate` (PostgreSQL, any number of each).
import { Command } from 'commander';
import { loadConfig, type FulcrumConfig } from '../config.ts';
import { FulcrumError } from '../errors.ts';
import { openDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { adoptDataPlane, createApi, databaseUrl, openRuntime, startHealthManager, startHousekeeping, startWorker, type Runtime } from '../runtime.ts';
import { ensureNetwork } from '../network/default-network.ts';

/** The VIP subnet `fulcrum serve` registers on first start: loopback addresses need no root. */
const LOCAL_SUBNET = '127.10.0.0/16';
import { amphoraAgentCommand } from '../agent/command.ts';
import { apiKeyCommand } from './apikey.ts';

function config(): FulcrumConfig {
  return loadConfig(process.env);
}

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

async function runRoles(roles: { api: boolean; worker: boolean; health: boolean; housekeeping?: boolean }, requireServer: boolean): Promise<void> {
  const cfg = config();
  if (requireServer && !cfg.databaseUrl?.startsWith('postgres')) {
    throw new FulcrumError('LB_ERR_CONFIG', 1, 'this role shares its database with other processes: set FULCRUM_DATABASE_URL to a postgres:// URL');
  }
  const rt: Runtime = await openRuntime(cfg, { migrate: !requireServer });
  if (!requireServer && cfg.networkDriver === 'local') {
    const local = await ensureNetwork(rt.database.db, 'local', LOCAL_SUBNET);
    rt.log.info({ subnet_id: local.subnetId, cidr: LOCAL_SUBNET }, 'default network "local"');
  }
  if (roles.worker) await adoptDataPlane(rt);
  const worker = roles.worker ? startWorker(rt) : null;
  const health = roles.health ? await startHealthManager(rt) : null;
  const housekeeping = roles.housekeeping ? startHousekeeping(rt) : null;
  await worker?.start();
  const api = roles.api ? await createApi(rt) : null;
  if (api) {
    const address = await api.listen({ host: cfg.apiHost, port: cfg.apiPort });
    rt.log.info({ address, database: rt.database.kind }, 'Fulcrum API listening');
  }
  onSignals(async () => {
    await api?.close();
    await worker?.stop();
    await health?.stop();
    await housekeeping?.stop();
    await rt.closeDataPlane();
    await rt.database.close();
  });
}

const program = new Command('fulcrum').description('Fulcrum load balancing as a service (Octavia v2 compatible)');

program
  .command('serve')
  .description('run the API, flow workers and housekeeping in one process on the embedded database')
  .action(() => runRoles({ api: true, worker: true, health: true, housekeeping: true }, false));

program
  .command('api')
  .description('run an API process against PostgreSQL')
  .action(() => runRoles({ api: true, worker: false, health: false }, true));

program
  .command('worker')
  .description('run a flow worker process against PostgreSQL')
  .action(() => runRoles({ api: false, worker: true, health: false }, true));

program
  .command('health-manager')
  .description('run a health manager process (heartbeats, amphora health and statistics, automatic failover) against PostgreSQL')
  .action(() => runRoles({ api: false, worker: false, health: true }, true));

program
  .command('housekeeping')
  .description('run a housekeeping process (keeps the spare amphora pool filled) against PostgreSQL')
  .action(() => runRoles({ api: false, worker: false, health: false, housekeeping: true }, true));

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(async () => {
    const database = await openDatabase(databaseUrl(config()), { migrate: false });
    const applied = await migrateToLatest(database.db);
    await database.close();
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database schema is up to date');
  });

program.addCommand(amphoraAgentCommand());
program.addCommand(apiKeyCommand(config));

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`fulcrum: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
