// `fulcrum doctor`: examines this host and the configured deployment — programs and their
// versions, the API and agent ports, the sysctls the netns driver relies on, the database and
// its migrations, the registered networks, the local agent — and says what to do about each
// problem. Exit code 1 when anything must be fixed.
import { Command } from 'commander';
import { X509Certificate } from 'node:crypto';
import { agentPemFiles, renewalDue } from '../compute/agent-cert-renewal.ts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { FulcrumConfig } from '../config.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { pendingMigrations } from '../db/migrate.ts';
import { localAgentFiles, probeAgentPort, recordedAgentPort, DEFAULT_AGENT_PORT } from '../compute/local-agent.ts';
import { controllerCa, controllerClientTls } from '../pki/ca-store.ts';
import { secretStoreFor } from '../certs/secret-store.ts';
import { databaseUrl } from '../runtime.ts';
import { doctorExitCode, renderFindings, type Finding } from './doctor-report.ts';
import { checkPrerequisites, INSTALL_SCRIPT, requiredPrograms } from './prerequisites.ts';
import { PathProgramProbe } from './program-probe.ts';
import { agentDir, stopHint } from './stop.ts';

async function programs(cfg: FulcrumConfig): Promise<Finding[]> {
  const requirements = requiredPrograms(cfg);
  if (requirements.length === 0) return [{ check: 'programs', status: 'ok', message: `the ${cfg.defaultProvider} provider with the ${cfg.computeDriver} compute driver needs no host programs` }];
  const path = process.env.PATH ?? '';
  const results = await checkPrerequisites(requirements, new PathProgramProbe(path), path);
  return results.map((r) => ({
    check: r.requirement.program,
    status: r.ok ? 'ok' : r.requirement.required ? 'fail' : 'warn',
    message: r.message,
    fix: r.ok ? undefined : `run "${INSTALL_SCRIPT}"`,
  }));
}

function sysctls(cfg: FulcrumConfig): Finding[] {
  if (cfg.computeDriver !== 'netns') return [];
  const findings: Finding[] = [];
  const root = process.getuid?.() === 0;
  findings.push({
    check: 'netns privileges',
    status: root ? 'ok' : 'fail',
    message: root ? 'running as root' : 'the netns driver creates namespaces, veths and bridges, which takes root (CAP_NET_ADMIN)',
    fix: 'run the worker (or serve) as root',
  });
  for (const [name, file] of [
    ['net.ipv4.ip_nonlocal_bind', '/proc/sys/net/ipv4/ip_nonlocal_bind'],
    ['net.ipv6.ip_nonlocal_bind', '/proc/sys/net/ipv6/ip_nonlocal_bind'],
  ] as const) {
    const present = existsSync(file);
    findings.push({
      check: `sysctl ${name}`,
      status: present ? 'ok' : 'fail',
      message: present ? 'available (set to 1 inside each amphora namespace)' : 'missing: standby amphorae cannot bind a VIP they do not hold yet',
      fix: name.includes('ipv6') ? 'enable IPv6 in the kernel (ipv6.disable=0)' : 'use a kernel with IPv4 networking',
    });
  }
  const bridgeNf = '/proc/sys/net/bridge/bridge-nf-call-iptables';
  if (existsSync(bridgeNf) && readFileSync(bridgeNf, 'utf8').trim() === '1') {
    findings.push({
      check: 'sysctl net.bridge.bridge-nf-call-iptables',
      status: 'warn',
      message: 'is 1: traffic between amphora namespaces on the bridge passes iptables, whose rules may drop it',
      fix: 'sysctl -w net.bridge.bridge-nf-call-iptables=0, or allow the bridge traffic in iptables',
    });
  }
  return findings;
}

/** Whether something accepts TCP connections on host:port. */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    const done = (v: boolean) => {
      socket.destroy();
      resolve(v);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function apiPort(cfg: FulcrumConfig): Promise<Finding> {
  const check = `API port ${cfg.apiHost}:${cfg.apiPort}`;
  if (cfg.apiPort === 0) return { check, status: 'ok', message: 'port 0: the kernel picks a free port' };
  if (!(await listening(cfg.apiHost, cfg.apiPort))) return { check, status: 'ok', message: 'free' };
  const fulcrum = await fetch(`http://${cfg.apiHost.includes(':') ? `[${cfg.apiHost}]` : cfg.apiHost}:${cfg.apiPort}/`, { signal: AbortSignal.timeout(2000) })
    .then(async (res) => JSON.stringify(await res.json()).includes('"versions"'))
    .catch(() => false);
  return fulcrum
    ? { check, status: 'ok', message: 'a Fulcrum API answers there (this deployment running, or another one)' }
    : { check, status: 'fail', message: 'held by a process that is not a Fulcrum API', fix: 'stop that process, or choose another FULCRUM_API_BIND' };
}

function dataDir(cfg: FulcrumConfig): Finding {
  const check = `data dir ${cfg.dataDir}`;
  if (!existsSync(cfg.dataDir)) return { check, status: 'ok', message: 'not created yet (the first start creates it, mode 0700)' };
  const mode = statSync(cfg.dataDir).mode & 0o777;
  return (mode & 0o077) === 0
    ? { check, status: 'ok', message: `mode ${mode.toString(8)}` }
    : { check, status: 'warn', message: `mode ${mode.toString(8)}: others can enter it (keys and the embedded database live there)`, fix: `chmod 700 ${cfg.dataDir} (the next start does it too)` };
}

async function withDatabaseChecks(cfg: FulcrumConfig): Promise<{ findings: Finding[]; ca: string | null; tls: { ca: string; cert: string; key: string } | null }> {
  const findings: Finding[] = [];
  const production = cfg.databaseUrl?.startsWith('postgres') ?? false;
  const check = production ? 'PostgreSQL' : 'embedded database';
  if (!production && !existsSync(join(cfg.dataDir, 'db'))) {
    return { findings: [{ check, status: 'ok', message: 'not created yet (the first fulcrum serve creates it)' }], ca: null, tls: null };
  }
  let database: Database;
  try {
    database = await openDatabase(databaseUrl(cfg), { migrate: false });
  } catch (err) {
    const message = (err as Error).message;
    if (/in use by another Fulcrum process/.test(message)) {
      findings.push({ check, status: 'ok', message: `${message} (a running fulcrum serve holds it); the checks that read it are skipped` });
    } else {
      findings.push({
        check,
        status: 'fail',
        message: `cannot open ${production ? cfg.databaseUrl!.replace(/\/\/[^@/]*@/, '//…@') : databaseUrl(cfg)}: ${message}`,
        fix: production ? 'check FULCRUM_DATABASE_URL and that PostgreSQL answers (pg_isready)' : 'check FULCRUM_DATA_DIR',
      });
    }
    return { findings, ca: null, tls: null };
  }
  try {
    findings.push({ check, status: 'ok', message: production ? 'reachable' : 'opens' });
    const pending = await pendingMigrations(database.db);
    if (pending.length > 0) {
      findings.push({ check: 'migrations', status: production ? 'fail' : 'ok', message: `${pending.length} pending (${pending.join(', ')})${production ? '' : '; serve applies them at start'}`, fix: 'run "fulcrum migrate"' });
      return { findings, ca: null, tls: null };
    }
    findings.push({ check: 'migrations', status: 'ok', message: 'all applied' });
    if (cfg.networkDriver === 'local') {
      const subnets = await database.db.selectFrom('subnet').select(['id', 'cidr']).execute();
      findings.push(
        subnets.length > 0
          ? { check: 'networks', status: 'ok', message: `${subnets.length} subnet(s) registered (${subnets.map((s) => s.cidr).join(', ')})` }
          : production
            ? {
                check: 'networks',
                status: 'fail',
                message: 'no subnet is registered: every load balancer create would fail, VIPs come only from registered subnets',
                fix: 'fulcrum network create --name public && fulcrum subnet create --network public --cidr <CIDR> --name public',
              }
            : { check: 'networks', status: 'ok', message: 'none yet; serve registers "local" at start' },
      );
    }
    const ca = await database.db.selectFrom('certificate_authority').select('name').executeTakeFirst();
    if (!ca) return { findings, ca: null, tls: null };
    const pem = await controllerCa(database.db, secretStoreFor(cfg));
    return { findings, ca: pem.certPem, tls: await controllerClientTls(pem) };
  } finally {
    await database.close();
  }
}

function agentCertificate(dir: string): Finding[] {
  const file = agentPemFiles(dir).cert;
  if (!existsSync(file)) return [];
  const notAfter = new Date(new X509Certificate(readFileSync(file, 'utf8')).validTo);
  const check = 'amphora agent certificate';
  return renewalDue(notAfter, new Date())
    ? [{ check, status: 'warn', message: `expires ${notAfter.toISOString()}`, fix: 'start (or restart) fulcrum serve or the worker: it renews the certificate without restarting the agent' }]
    : [{ check, status: 'ok', message: `valid until ${notAfter.toISOString()}; renewed automatically 30 days before` }];
}

async function agent(cfg: FulcrumConfig, dbCa: string | null, tls: { ca: string; cert: string; key: string } | null): Promise<Finding[]> {
  if (requiredPrograms(cfg).length === 0) return [];
  const dir = agentDir(cfg.dataDir);
  const files = localAgentFiles(dir);
  const port = cfg.localAgentPort ?? recordedAgentPort(dir) ?? DEFAULT_AGENT_PORT;
  const check = `amphora agent 127.0.0.1:${port}`;
  const fileCa = existsSync(join(files.pkiDir, 'ca.pem')) ? readFileSync(join(files.pkiDir, 'ca.pem'), 'utf8') : null;
  const ca = dbCa ?? fileCa;
  if (ca === null) {
    const taken = await listening('127.0.0.1', port);
    return [
      taken
        ? { check, status: 'fail', message: 'the port is held, and this deployment has no agent CA yet, so it cannot be ours', fix: `stop that process (if it is another data dir's agent: FULCRUM_DATA_DIR=<its dir> fulcrum stop) or set FULCRUM_LOCAL_AGENT_PORT` }
        : { check, status: 'ok', message: 'free; the first load balancer starts the agent' },
    ];
  }
  const probe = await probeAgentPort('127.0.0.1', port, tls ?? { ca });
  if (probe === 'ours') return [{ check, status: 'ok', message: `running, and its certificate is from this deployment's CA (stop it with: ${stopHint(cfg.dataDir)})` }, ...agentCertificate(dir)];
  if (probe === 'free') return [{ check, status: 'ok', message: 'not running; the next serve or worker starts it' }];
  return [
    {
      check,
      status: 'fail',
      message: "the port is held by something whose certificate is not from this deployment's CA (another data dir's agent, or another program)",
      fix: `stop it (another data dir's agent: FULCRUM_DATA_DIR=<its dir> fulcrum stop), or set FULCRUM_LOCAL_AGENT_PORT to a free port`,
    },
  ];
}

export async function examine(cfg: FulcrumConfig): Promise<Finding[]> {
  const db = await withDatabaseChecks(cfg);
  return [...(await programs(cfg)), ...sysctls(cfg), dataDir(cfg), await apiPort(cfg), ...db.findings, ...(await agent(cfg, db.ca, db.tls))];
}

export function doctorCommand(config: () => FulcrumConfig): Command {
  return new Command('doctor')
    .description('check this host and the configured deployment (programs, ports, sysctls, database, agent) and say what to fix')
    .action(async () => {
      const findings = await examine(config());
      console.log(renderFindings(findings));
      process.exitCode = doctorExitCode(findings);
    });
}
