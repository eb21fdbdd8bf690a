// AmphoraAgents over the agents' REST API, one mutual-TLS client per agent.
import { AgentClient, type AgentLogAnswer, type HaproxyStats, type ServedCertificate } from '../../amphora/agent-client.ts';
import { backendPoolId } from '../../amphora/render/haproxy-backend.ts';
import type { ProxyStat } from '../../health/operating-status.ts';
import type { AmphoraAgents, AmphoraProbe, HostCertificateAgents } from './amphora-agents.ts';
import type { AmphoraFileContent } from '../../agent/cert-files.ts';
import type { HeartbeatSettings } from '../../agent/heartbeat-settings.ts';
import type { SourcesReport } from '../../agent/stick-table.ts';
import type { L4Plan } from '../../amphora/render/l4-plan.ts';

/** A diagnosis waits this long for an agent; a slower one counts as unreachable. */
const PROBE_TIMEOUT_MS = 3000;

/** `show stat` rows as the health code reads them: pools by id, frontends with their counters. */
function proxyStats(stats: HaproxyStats): ProxyStat[] {
  return [
    ...stats.frontends.map((f) => ({
      proxy: f.name,
      server: 'FRONTEND',
      status: f.status,
      counters: {
        bytes_in: f.bin ?? 0,
        bytes_out: f.bout ?? 0,
        active_connections: f.scur ?? 0,
        total_connections: f.stot ?? 0,
        request_errors: f.ereq ?? 0,
        refused_connections: (f.dcon ?? 0) + (f.dses ?? 0),
        refused_requests: f.dreq ?? 0,
      },
    })),
    ...stats.backends.map((b) => ({ proxy: backendPoolId(b.name), server: 'BACKEND', status: b.status })),
    ...stats.servers.map((s) => ({ proxy: backendPoolId(s.backend), server: s.name, status: s.status })),
  ];
}

export class AgentGateway implements AmphoraAgents, HostCertificateAgents {
  readonly #clients = new Map<string, AgentClient>();
  /** Clients with a short timeout, so one hung agent does not hold a diagnosis. */
  readonly #probeClients = new Map<string, AgentClient>();

  /** `identityOf`: the certificate name the agent at a URL must present (a joined host's id), or null. */
  constructor(
    private readonly tls: { ca: string; cert: string; key: string },
    private readonly identityOf: (agentUrl: string) => Promise<string | null> = async () => null,
  ) {}

  async #client(url: string): Promise<AgentClient> {
    let client = this.#clients.get(url);
    if (!client) {
      const identity = await this.identityOf(url);
      client = this.#clients.get(url) ?? new AgentClient({ url, tls: this.tls, identity });
      this.#clients.set(url, client);
    }
    return client;
  }

  /** Whether the agent answers (and is who it should be): a host's liveness. */
  async ping(agentUrl: string): Promise<boolean> {
    try {
      await (await this.#client(agentUrl)).info();
      return true;
    } catch {
      return false;
    }
  }

  async register(agentUrl: string, amphoraId: string, netns: string | null): Promise<string> {
    return (await (await this.#client(agentUrl)).registerAmphora(amphoraId, { netns })).run_dir;
  }

  async applyHaproxy(agentUrl: string, amphoraId: string, config: string, runtime?: string[], files?: AmphoraFileContent[]): Promise<void> {
    await (await this.#client(agentUrl)).putHaproxyConfig(amphoraId, config, runtime, files);
  }

  async applyKeepalived(agentUrl: string, amphoraId: string, config: string): Promise<void> {
    await (await this.#client(agentUrl)).putKeepalivedConfig(amphoraId, config);
  }

  async applyL4(agentUrl: string, amphoraId: string, plan: L4Plan): Promise<void> {
    await (await this.#client(agentUrl)).putL4Plan(amphoraId, plan);
  }

  async remove(agentUrl: string, amphoraId: string): Promise<void> {
    await (await this.#client(agentUrl)).deleteAmphora(amphoraId);
  }

  async hosted(agentUrl: string): Promise<string[]> {
    return (await (await this.#client(agentUrl)).info()).amphorae;
  }

  async stats(agentUrl: string, amphoraId: string): Promise<ProxyStat[]> {
    return proxyStats(await (await this.#client(agentUrl)).stats(amphoraId));
  }

  async probe(agentUrl: string, amphoraId: string): Promise<AmphoraProbe> {
    let client = this.#probeClients.get(agentUrl);
    if (!client) {
      const identity = await this.identityOf(agentUrl);
      client = new AgentClient({ url: agentUrl, tls: this.tls, identity, connectTimeoutMs: PROBE_TIMEOUT_MS, timeoutMs: PROBE_TIMEOUT_MS });
      this.#probeClients.set(agentUrl, client);
    }
    const status = await client.amphoraStatus(amphoraId);
    if (!status.haproxy.running) return { status, servers: null, serversError: 'haproxy is not running' };
    try {
      return { status, servers: proxyStats(await client.stats(amphoraId)), serversError: null };
    } catch (err) {
      return { status, servers: null, serversError: (err as Error).message };
    }
  }

  async sources(agentUrl: string, amphoraId: string, listenerId: string, limit: number): Promise<SourcesReport> {
    return (await this.#client(agentUrl)).sources(amphoraId, listenerId, limit);
  }

  async addresses(agentUrl: string, amphoraId: string): Promise<string[]> {
    return (await (await this.#client(agentUrl)).interfaces(amphoraId)).flatMap((i) => i.addresses.map((a) => a.address));
  }

  async crash(agentUrl: string, amphoraId: string): Promise<void> {
    await (await this.#client(agentUrl)).crash(amphoraId);
  }

  async logs(agentUrl: string, amphoraId: string, query: { after?: number; sinceMs?: number; limit: number }): Promise<AgentLogAnswer> {
    return (await this.#client(agentUrl)).logs(amphoraId, query);
  }

  /** The digest of the agent's heartbeat settings (null: none yet). */
  async heartbeatDigest(agentUrl: string): Promise<string | null> {
    return (await (await this.#client(agentUrl)).heartbeatSettings()).digest;
  }

  async configureHeartbeat(agentUrl: string, settings: HeartbeatSettings): Promise<void> {
    await (await this.#client(agentUrl)).putHeartbeatSettings(settings);
  }

  certificate(agentUrl: string): Promise<ServedCertificate> {
    return this.#client(agentUrl).then((c) => c.certificate());
  }

  certificateRequest(agentUrl: string): Promise<string> {
    return this.#client(agentUrl).then((c) => c.certificateRequest());
  }

  installCertificate(agentUrl: string, certificatePem: string): Promise<ServedCertificate> {
    return this.#client(agentUrl).then((c) => c.installCertificate(certificatePem));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#clients.values(), ...this.#probeClients.values()].map((c) => c.close()));
  }
}
