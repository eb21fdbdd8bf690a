// What the amphora driver needs from the amphora agents, whichever host they run on.
import type { ProxyStat } from '../../health/operating-status.ts';
import type { AmphoraFileContent } from '../../agent/cert-files.ts';
import type { HeartbeatSettings } from '../../agent/heartbeat-settings.ts';
import type { SourcesReport } from '../../agent/stick-table.ts';
import type { L4Plan } from '../../amphora/render/l4-plan.ts';
import type { AgentLogAnswer, AmphoraStatus, ServedCertificate } from '../../amphora/agent-client.ts';

/** What an agent says of one amphora now, for diagnostics. */
export interface AmphoraProbe {
  status: AmphoraStatus;
  /** HAProxy's runtime state of every frontend, backend and server; null with the reason when it could not be read. */
  servers: ProxyStat[] | null;
  serversError: string | null;
}

export interface AmphoraAgents {
  /** Whether the agent answers, as the host it should be: an inventory host's liveness. */
  ping(agentUrl: string): Promise<boolean>;
  /** Registers the amphora with its agent (idempotent); returns its run directory there. */
  register(agentUrl: string, amphoraId: string, netns: string | null): Promise<string>;
  /** Validates and applies a configuration (with the PEM files it names): a seamless reload, or runtime commands only. */
  applyHaproxy(agentUrl: string, amphoraId: string, config: string, runtime?: string[], files?: AmphoraFileContent[]): Promise<void>;
  applyKeepalived(agentUrl: string, amphoraId: string, config: string): Promise<void>;
  /** Serves the amphora's UDP/SCTP listeners as `plan` says (in its network namespace). */
  applyL4(agentUrl: string, amphoraId: string, plan: L4Plan): Promise<void>;
  /** Stops everything the agent runs for the amphora and forgets it (idempotent). */
  remove(agentUrl: string, amphoraId: string): Promise<void>;
  /** The amphorae the agent has a configuration for (and runs, or brings back when it starts). */
  hosted(agentUrl: string): Promise<string[]>;
  stats(agentUrl: string, amphoraId: string): Promise<ProxyStat[]>;
  /** Every address configured in the amphora (where keepalived put the VIP, for one). */
  addresses(agentUrl: string, amphoraId: string): Promise<string[]>;
  /** SIGKILLs the amphora's keepalived and haproxy, as a crash would (failover drills). */
  crash(agentUrl: string, amphoraId: string): Promise<void>;
  /** The amphora's access log (src/agent/access-log-store.ts): lines after `after`, from `sinceMs`, the newest `limit`. */
  logs(agentUrl: string, amphoraId: string, query: { after?: number; sinceMs?: number; limit: number }): Promise<AgentLogAnswer>;
  /** The digest of the agent's heartbeat settings (null: none yet). */
  heartbeatDigest(agentUrl: string): Promise<string | null>;
  /** Where and how often the agent sends heartbeats, and the key it signs them with. */
  configureHeartbeat(agentUrl: string, settings: HeartbeatSettings): Promise<void>;
  /** The top offenders of a listener's protection table on this amphora. */
  sources(agentUrl: string, amphoraId: string, listenerId: string, limit: number): Promise<SourcesReport>;
  /** The amphora's daemons, running configuration and servers, asked with a short timeout (diagnostics). */
  probe(agentUrl: string, amphoraId: string): Promise<AmphoraProbe>;
}

/** A host agent's own certificate, renewed by the controller without the key leaving the host. */
export interface HostCertificateAgents {
  /** The certificate the agent serves. */
  certificate(agentUrl: string): Promise<ServedCertificate>;
  /** A signing request for a new key the agent keeps pending. */
  certificateRequest(agentUrl: string): Promise<string>;
  /** The signed certificate for the pending key; the agent checks, installs and serves it. */
  installCertificate(agentUrl: string, certificatePem: string): Promise<ServedCertificate>;
}
