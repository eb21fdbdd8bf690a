// Starts the amphora agent: check the certificates, re-adopt the amphorae found in the base
// directory, serve, and start again the daemons that should run but do not. Closing it stops the API only; haproxy and keepalived keep carrying
// traffic and the next agent adopts them.
import { mkdir, readFile } from 'node:fs/promises';
import type { Server as HttpsServer } from 'node:https';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../observability/logger.ts';
import { SERVER_AUTH, verifyCertificate } from '../pki/verify.ts';
import type { AgentOptions } from './options.ts';
import { AmphoraRegistry } from './registry.ts';
import { HeartbeatSender } from './heartbeat-sender.ts';
import { loadSettings } from './heartbeat-settings.ts';
import { snapshot } from './heartbeat-snapshot.ts';
import { buildAgentServer } from './server.ts';
import { watchDirectory } from './data-dir-watch.ts';
import { reloadCertificates, reloadCertificatesOnHangup } from './cert-reload.ts';
import { CertificateRenewal, recoverInterruptedInstall } from './certificate-renewal.ts';
import { agentVersion, haproxyVersion } from './versions.ts';
import { LogOffload } from './log-offload.ts';
import { truncateIfOver } from './log-rotation.ts';

/** How often the plain-text logs are checked against their bound. */
const LOG_ROTATION_MS = 10_000;

export interface RunningAgent {
  address: string;
  /** Resolves once the agent stopped itself because its base directory was removed. */
  orphaned: Promise<void>;
  close(): Promise<void>;
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const log = createLogger(options.logLevel, 'fulcrum-amphora-agent');
  recoverInterruptedInstall(options);
  const [ca, cert, key] = await Promise.all([options.caCertPath, options.certPath, options.keyPath].map((p) => readFile(p, 'utf8')));
  // A wrong file shows up here as a sentence, not later as a handshake every client fails.
  const identity = verifyCertificate(cert, ca, { purpose: SERVER_AUTH, keyPem: key });
  await mkdir(options.baseDir, { recursive: true, mode: 0o700 });
  const offload = options.logOffload ? new LogOffload(options.logOffload) : null;
  // A server's state change reported by HAProxy's log goes out in a heartbeat at once, so the
  // API follows a member going down in well under the heartbeat interval.
  let heartbeat: HeartbeatSender | null = null;
  const registry = new AmphoraRegistry(options.baseDir, log, {
    accessLogBytes: options.accessLogBytes,
    accessLogRetentionMs: options.accessLogRetentionMs,
    adminLogBytes: options.adminLogBytes,
    offload,
    serverStateChanged: (id) => heartbeat?.beatNow(id),
  });
  await registry.load();
  // Heartbeats resume with the settings the controller last gave, before it calls again.
  heartbeat = new HeartbeatSender({ ids: () => registry.ids(), snapshot: (id, timeoutMs, figures) => snapshot(registry.get(id), timeoutMs, figures) }, log.child({ role: 'heartbeat' }));
  heartbeat.configure(await loadSettings(options.heartbeatFile));
  registry.events.onRecord = (event) => heartbeat.beatNow(event.amphora_id);
  // The renewal reloads the server built with it, once that exists.
  let reload = async () => false;
  const certificate = new CertificateRenewal(options, () => reload(), log);
  const server = buildAgentServer({ tls: { ca, cert, key }, registry, heartbeat, heartbeatFile: options.heartbeatFile, agentVersion: agentVersion(), haproxyVersion: await haproxyVersion(), log, certificate });
  reload = () => reloadCertificates(server.server as unknown as HttpsServer, options, log);
  const address = await server.listen({ host: options.host, port: options.port });
  // `code`: this module's file, the agent bundle (dist/agent) or the TypeScript sources (src/agent).
  log.info({ address, base_dir: options.baseDir, amphorae: registry.ids(), certificate: identity.subject, not_after: identity.notAfter, code: fileURLToPath(import.meta.url) }, 'amphora agent listening');
  // Only now: an agent that could not take the port (another one serves this base directory)
  // must not start daemons beside that one's.
  registry.recover();
  const rotation = setInterval(() => {
    registry.rotateDaemonLogs();
    if (options.logFile) truncateIfOver(options.logFile, options.adminLogBytes);
  }, LOG_ROTATION_MS);
  rotation.unref();
  const stopReloading = reloadCertificatesOnHangup(server.server as unknown as HttpsServer, options, log);
  let orphaned!: () => void;
  const stopWatching = await watchDirectory(options.baseDir, () => {
    log.warn({ base_dir: options.baseDir, amphorae: registry.ids() }, 'the base directory is gone: stopping every amphora and the agent');
    void (async () => {
      await server.close();
      for (const id of registry.ids()) await registry.remove(id).catch((err: unknown) => log.error({ err, amphora_id: id }, 'could not stop amphora'));
      orphaned();
    })();
  });
  return {
    address,
    orphaned: new Promise<void>((resolve) => (orphaned = resolve)),
    async close() {
      stopWatching();
      stopReloading();
      clearInterval(rotation);
      await server.close();
      await heartbeat.stop();
      registry.release();
      offload?.close();
    },
  };
}
