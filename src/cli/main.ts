// The `fulcrum` command: `serve` (everything in one process, embedded database) and the
// production roles `api`, `worker` and `migrate` (PostgreSQL, any number of each).
import { Command } from 'commander';
import { loadConfig, type FulcrumConfig } from '../config.ts';
import { FulcrumError } from '../errors.ts';
import { openDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { startMetricsServer } from '../observability/metrics-server.ts';
import { adoptDataPlane, createApi, databaseUrl, openRuntime, startCertificateExpiryWatch, startEventRetention, startHealthManager, startHostCertificateRenewal, startHousekeeping, startWorker, type Runtime } from '../runtime.ts';
import { ensureNetwork } from '../network/registration.ts';
import { ensurePrivateDir } from '../private-files.ts';
import { amphoraAgentCommand } from '../agent/command.ts';
import { apiKeyCommand } from './apikey.ts';
import { networkCommand, subnetCommand } from './network.ts';
import { listeningLoopbackOctets, pickLocalSubnet } from './local-subnet.ts';
import { checkPrerequisites, requiredPrograms, type PrerequisiteResult } from './prerequisites.ts';
import { PathProgramProbe } from './program-probe.ts';
import { agentDir, stopCommand, whatKeepsRunning } from './stop.ts';
import { checkLocalAgentPort, recordedAgentPort } from '../compute/local-agent.ts';
import { renewAgentCertificateIfDue } from '../compute/agent-cert-renewal.ts';
import { controllerCa } from '../pki/ca-store.ts';
import { secretStoreFor } from '../certs/secret-store.ts';
import { doctorCommand } from './doctor.ts';
import { lbCommand } from './lb.ts';
import { dashboardCommand } from './dashboard.ts';
import { agentBundleCommand } from './agent-bundle.ts';
import { ensureDashboardBuilt } from '../ui/build.ts';
import { eventsCommand } from './events.ts';
import { hostCommand } from './host.ts';

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

/**
 * A process that runs the data plane checks its host's programs before anything else: a
 * missing HAProxy stops it now, with the command that installs it, instead of every load
 * balancer going to ERROR half a minute later with the reason in an agent log.
 */
async function checkHost(cfg: FulcrumConfig): Promise<PrerequisiteResult[]> {
  const path = process.env.PATH ?? '';
  const results = await checkPrerequisites(requiredPrograms(cfg), new PathProgramProbe(path), path);
  const fatal = results.filter((r) => !r.ok && r.requirement.required);
  if (fatal.length > 0) {
    throw new FulcrumError('LB_ERR_CONFIG', 1, `this host lacks what the ${cfg.computeDriver} compute driver needs:\n  - ${fatal.map((r) => r.message).join('\n  - ')}`);
  }
  return results.filter((r) => !r.ok);
}

const RENEWAL_CHECK_MS = 6 * 3_600_000;

/** A long-running controller renews its local agent's certificate too, not only at start. */
function scheduleAgentCertificateRenewal(cfg: FulcrumConfig, rt: Runtime): NodeJS.Timeout {
  const dir = agentDir(cfg.dataDir);
  const timer = setInterval(() => {
    const port = recordedAgentPort(dir);
    if (port === null) return;
    controllerCa(rt.database.db, secretStoreFor(cfg))
      .then((ca) => renewAgentCertificateIfDue({ ca, agentDir: dir, host: '127.0.0.1', port, log: rt.log }))
      .catch((err: unknown) => rt.log.error({ err }, 'amphora agent certificate renewal failed'));
  }, RENEWAL_CHECK_MS);
  timer.unref();
  return timer;
}

/**
 * For the roles that run this host's data plane: the agent port is checked now, the agent taken
 * back if amphorae exist, and its certificate kept renewed. Null when the data plane is elsewhere.
 */
async function prepareLocalDataPlane(cfg: FulcrumConfig, rt: Runtime): Promise<NodeJS.Timeout | null> {
  if (requiredPrograms(cfg).length === 0) {
    await adoptDataPlane(rt);
    return null;
  }
  await checkLocalAgentPort({ ca: await controllerCa(rt.database.db, secretStoreFor(cfg)), dir: agentDir(cfg.dataDir), host: '127.0.0.1', port: cfg.localAgentPort });
  await adoptDataPlane(rt);
  return scheduleAgentCertificateRenewal(cfg, rt);
}

async function runRoles(roles: { api: boolean; worker: boolean; health: boolean; housekeeping?: boolean }, requireServer: boolean): Promise<void> {
  const cfg = config();
  if (requireServer && !cfg.databaseUrl?.startsWith('postgres')) {
    throw new FulcrumError('LB_ERR_CONFIG', 1, 'this role shares its database with other processes: set FULCRUM_DATABASE_URL to a postgres:// URL');
  }
  const warnings = roles.worker ? await checkHost(cfg) : [];
  // The data dir holds the embedded database, the sealing key and the agent's keys.
  if (!requireServer || roles.worker) ensurePrivateDir(cfg.dataDir);
  const rt: Runtime = await openRuntime(cfg, { migrate: !requireServer });
  for (const w of warnings) rt.log.warn({ program: w.requirement.program }, w.message);
  if (!requireServer && cfg.networkDriver === 'local') {
    const local = await ensureNetwork(rt.database.db, 'local', pickLocalSubnet(cfg.dataDir, listeningLoopbackOctets()));
    rt.log.info({ subnet_id: local.subnetId, cidr: local.cidr }, 'default network "local"');
  }
  const renewal = roles.worker ? await prepareLocalDataPlane(cfg, rt) : null;
  const worker = roles.worker ? startWorker(rt) : null;
  const health = roles.health ? await startHealthManager(rt) : null;
  const housekeeping = roles.housekeeping ? startHousekeeping(rt) : null;
  const expiryWatch = roles.housekeeping ? startCertificateExpiryWatch(rt) : null;
  const eventRetention = roles.housekeeping ? startEventRetention(rt) : null;
  const hostCertificates = roles.housekeeping ? startHostCertificateRenewal(rt) : null;
  await worker?.start();
  // A checkout that skipped `npm ci` (which builds it), or changed it since, gets a current
  // dashboard; one that cannot build (a read-only install) still serves the API.
  if (roles.api) {
    await ensureDashboardBuilt().then(
      (built) => built && rt.log.info('dashboard built'),
      (err: unknown) => rt.log.warn({ err }, 'the dashboard could not be built; /ui/ serves the previous build, if any'),
    );
  }
  const api = roles.api ? await createApi(rt) : null;
  if (api) {
    const address = await api.listen({ host: cfg.apiHost, port: cfg.apiPort });
    rt.log.info({ address, database: rt.database.kind }, 'Fulcrum API listening');
  }
  const metrics = cfg.metricsBind ? await startMetricsServer(rt.database.db, cfg.metricsBind, rt.log) : null;
  onSignals(async () => {
    if (renewal) clearInterval(renewal);
    await metrics?.close();
    await api?.close();
    await worker?.stop();
    await health?.stop();
    await housekeeping?.stop();
    await expiryWatch?.stop();
    await eventRetention?.stop();
    await hostCertificates?.stop();
    await rt.closeDataPlane();
    await rt.database.close();
    if (roles.worker) {
      const running = whatKeepsRunning(cfg.dataDir);
      if (running) rt.log.info(running.details, running.message);
    }
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
program.addCommand(networkCommand(config));
program.addCommand(subnetCommand(config));
program.addCommand(stopCommand(config));
program.addCommand(doctorCommand(config));
program.addCommand(dashboardCommand());
program.addCommand(agentBundleCommand());
program.addCommand(lbCommand(config));
program.addCommand(eventsCommand(config));
program.addCommand(hostCommand(config));

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`fulcrum: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
