// `fulcrum host join`: makes this machine an amphora host of a controller and runs its agent in
// the foreground. The first run generates the host's key (it never leaves the data dir), sends
// a certificate signing request with the one-time token, and keeps the certificate the
// controller's CA signed for it (its common name is the host id the controller checks). Later
// runs find the certificate in the data dir and need no token.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { ensurePrivateDir, writePrivateFile } from '../private-files.ts';
import { startAgent } from '../agent/agent.ts';
import { agentOptions } from '../agent/options.ts';
import { callApi, type ApiTarget } from './api-client.ts';
import { FulcrumError } from '../errors.ts';

export interface JoinOptions {
  controller: string;
  token?: string;
  name: string;
  address: string;
  port: number;
  dataDir: string;
  availabilityZone?: string;
  capacity?: number;
}

interface HostRecord {
  id: string;
  name: string;
  controller: string;
  address: string;
  port: number;
}

export function hostFiles(dataDir: string) {
  const pki = join(dataDir, 'pki');
  return { record: join(dataDir, 'host.json'), pki, ca: join(pki, 'ca.pem'), cert: join(pki, 'host.pem'), key: join(pki, 'host-key.pem'), runDir: join(dataDir, 'run') };
}

interface JoinAnswer {
  host: { id: string; name: string };
  certificate: string;
  ca_certificate: string;
}

/** Joins the controller unless this data dir has joined already; returns the host's record. */
export async function joinOnce(options: JoinOptions): Promise<HostRecord & { joinedNow: boolean }> {
  const files = hostFiles(options.dataDir);
  if (existsSync(files.record) && existsSync(files.cert)) {
    const record = JSON.parse(readFileSync(files.record, 'utf8')) as HostRecord;
    if (record.address !== options.address || record.port !== options.port) {
      throw new FulcrumError('LB_ERR_CONFIG', 1, `this data dir joined as host ${record.name} (${record.id}) at ${record.address}:${record.port}; its certificate names that address, so it serves there (or join again with a new data dir)`);
    }
    return { ...record, joinedNow: false };
  }
  if (!options.token) throw new FulcrumError('LB_ERR_CONFIG', 1, `${options.dataDir} holds no host certificate yet: pass --token with a join token (POST /v2/fulcrum/hosts/join-tokens)`);
  ensurePrivateDir(options.dataDir);
  ensurePrivateDir(files.pki);
  // Loaded for the first join only: a host that restarts already holds its certificate.
  const { createCsr } = await import('../pki/certificate-authority.ts');
  const { csrPem, keyPem } = await createCsr(`fulcrum-host-${options.name}`.slice(0, 64));
  const target: ApiTarget = { url: options.controller.replace(/\/+$/, ''), token: null };
  const answer = await callApi<JoinAnswer>(target, 'POST', '/v2/fulcrum/hosts/join', {
    join: {
      token: options.token,
      csr: csrPem,
      name: options.name,
      address: options.address,
      port: options.port,
      ...(options.availabilityZone ? { availability_zone: options.availabilityZone } : {}),
      ...(options.capacity !== undefined ? { capacity: options.capacity } : {}),
    },
  });
  writePrivateFile(files.key, keyPem);
  writeFileSync(files.ca, answer.ca_certificate);
  writeFileSync(files.cert, answer.certificate);
  const record: HostRecord = { id: answer.host.id, name: answer.host.name, controller: target.url, address: options.address, port: options.port };
  writeFileSync(files.record, JSON.stringify(record, null, 2) + '\n');
  return { ...record, joinedNow: true };
}

/** Joins (once) and serves the amphora agent until SIGINT/SIGTERM. */
export async function runJoinedHost(options: JoinOptions): Promise<void> {
  const host = await joinOnce(options);
  console.log(host.joinedNow ? `joined ${host.controller} as host ${host.name} (${host.id})` : `host ${host.name} (${host.id}) of ${host.controller}: already joined`);
  const files = hostFiles(options.dataDir);
  ensurePrivateDir(files.runDir);
  const agent = await startAgent(
    agentOptions(process.env, { host: options.address, port: String(options.port), baseDir: files.runDir, caCert: files.ca, cert: files.cert, key: files.key }),
  );
  console.log(`amphora agent of host ${host.name} listening on ${agent.address}`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      agent.close().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    void agent.orphaned.then(stop);
  });
}

/** `fulcrum host join`, also run on its own by src/cli/host-join-main.ts. */
export function hostJoinCommand(): Command {
  return new Command('join')
    .description('join this machine to a controller as an amphora host and run its agent in the foreground')
    .requiredOption('--controller <url>', 'the controller API, e.g. http://10.0.0.1:9876')
    .option('--token <token>', 'a one-time join token (POST /v2/fulcrum/hosts/join-tokens); not needed once joined')
    .requiredOption('--name <name>', 'the host name in the inventory')
    .requiredOption('--address <ip>', 'the address the controller reaches the agent on (and the agent listens on)')
    .requiredOption('--port <port>', 'the agent port')
    .requiredOption('--data-dir <dir>', 'the host key, certificate and amphora run directories')
    .option('--availability-zone <az>', 'the availability zone of the host')
    .option('--capacity <n>', 'most amphorae the scheduler puts here')
    .action(async (opts: { controller: string; token?: string; name: string; address: string; port: string; dataDir: string; availabilityZone?: string; capacity?: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new FulcrumError('LB_ERR_CONFIG', 1, `--port must be a port number, got ${opts.port}`);
      const capacity = opts.capacity === undefined ? undefined : Number(opts.capacity);
      if (capacity !== undefined && (!Number.isInteger(capacity) || capacity < 0)) throw new FulcrumError('LB_ERR_CONFIG', 1, `--capacity must be a whole number, got ${opts.capacity}`);
      await runJoinedHost({ ...opts, port, capacity });
      process.exit(0);
    });
}
