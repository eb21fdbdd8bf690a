// The controller's client for the amphora agent (src/agent): one client per agent endpoint,
// mutual TLS with the controller's clientAuth certificate, one typed method per endpoint.
// Transport failures become errors that name the amphora and say what most likely happened,
// because undici alone reports an agent refusing our certificate as "other side closed".
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { Agent, request } from 'undici';
import { FulcrumError } from '../errors.ts';
import type { AmphoraStatus } from '../agent/amphora.ts';
import type { AmphoraFileContent } from '../agent/cert-files.ts';
import type { HaproxyApplyResult } from '../agent/haproxy.ts';
import type { NetworkInterface } from '../agent/interfaces.ts';
import type { KeepalivedApplyResult } from '../agent/keepalived.ts';
import type { L4ApplyResult } from '../agent/l4-dataplane.ts';
import type { L4Plan } from './render/l4-plan.ts';
import type { RuntimeResult } from '../agent/runtime-api.ts';
import type { HaproxyStats } from '../agent/stats.ts';
import type { SourcesReport } from '../agent/stick-table.ts';
import type { HeartbeatSettings } from '../agent/heartbeat-settings.ts';
import type { SupervisionEvent, SupervisionEventKind } from '../agent/supervision-log.ts';
import type { ServedCertificate } from '../agent/certificate-renewal.ts';
import { CLIENT_AUTH, verifyCertificate } from '../pki/verify.ts';

/** One amphora's access-log lines as its agent answers (src/agent/access-log-store.ts). */
export interface AgentLogAnswer {
  last_seq: number;
  logs: { seq: number; time: string; listener_id: string; message: string }[];
}

export type { AmphoraStatus, ServedCertificate, HaproxyApplyResult, HaproxyStats, KeepalivedApplyResult, NetworkInterface, RuntimeResult, SupervisionEvent };

export interface AgentInfo {
  agent_version: string;
  haproxy_version: string;
  hostname: string;
  base_dir: string;
  amphorae: string[];
  /** What the agent's supervision did: counts since it started, and the newest events. */
  supervision: { totals: Record<SupervisionEventKind, number>; last_seq: number; events: SupervisionEvent[] };
}

export interface AgentClientOptions {
  /** `https://<address>:<port>`; the agent's certificate must carry the address as an IP SAN. */
  url: string;
  /** PEM: the CA that signed the agents' certificates, and the controller's client certificate and key. */
  tls: { ca: string; cert: string; key: string };
  connectTimeoutMs?: number;
  /** Per request. Config uploads wait for haproxy's new worker, so keep this well above a reload. */
  timeoutMs?: number;
  /**
   * The common name the agent's certificate must carry: a joined host's id. Every host's
   * certificate comes from the same CA, so without it a host holding another host's certificate
   * and key could answer in its place.
   */
  identity?: string | null;
}

/**
 * Agent answers that no retry can change, so a flow fails at once (the `permanent` mark the
 * flow engine honours): the agent refused the request or the configuration itself (a 4xx with
 * a code, except the state conflicts 408/409/429 that a later attempt may not meet), or a
 * program it needs is not installed.
 */
function permanentAnswer(status: number, code: string | undefined): boolean {
  if (code === undefined) return false;
  if (code === 'LB_ERR_AGENT_PROGRAM_MISSING') return true;
  return status >= 400 && status < 500 && ![408, 409, 429].includes(status);
}

/** The agent answered with an error: `code` is the agent's (LB_ERR_AGENT_*), `details` its data. */
export class AgentRequestFailed extends FulcrumError {
  readonly permanent: boolean;
  constructor(
    readonly agentCode: string,
    readonly agentStatus: number,
    message: string,
    readonly details: unknown,
    permanent = false,
  ) {
    super('LB_ERR_AMPHORA_AGENT', 502, message);
    this.permanent = permanent;
  }
}

/** No TLS session could be used: refused, unreachable, timed out, or a certificate problem. */
export class AgentUnavailable extends FulcrumError {
  constructor(
    message: string,
    readonly causeCode: string,
  ) {
    super('LB_ERR_AMPHORA_UNREACHABLE', 503, message);
  }
}

const SERVER_CERT_PROBLEMS = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'INVALID_PURPOSE',
  'ERR_FULCRUM_HOST_IDENTITY',
]);
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND']);
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function errorCode(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.cause?.code ?? e.code ?? 'UNKNOWN';
}

/**
 * Whether the agent may answer a moment later: it refused the connection, dropped it or did not
 * answer (an agent being restarted does all three), as opposed to presenting a certificate we
 * do not trust, which waiting does not change.
 */
export function agentMayReturn(err: unknown): boolean {
  return err instanceof AgentUnavailable && !SERVER_CERT_PROBLEMS.has(err.causeCode);
}

/** Turns what undici/OpenSSL threw into a sentence about the amphora. */
function describeTransportError(who: string, url: string, err: unknown): AgentUnavailable {
  const code = errorCode(err);
  const detail = `${code}: ${(err as Error).message}`;
  if (SERVER_CERT_PROBLEMS.has(code)) return new AgentUnavailable(`${who} presented a certificate we do not trust (${detail})`, code);
  // With TLS 1.3 the server checks our certificate after the client considers the handshake
  // done, so a rejection arrives as a closed socket or, at best, as an alert.
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || /ALERT/.test(code)) {
    return new AgentUnavailable(`${who} refused our certificate or dropped the connection at ${url} (${detail})`, code);
  }
  if (TIMEOUTS.has(code)) return new AgentUnavailable(`${who} did not answer in time at ${url} (${detail})`, code);
  if (UNREACHABLE.has(code)) return new AgentUnavailable(`${who} is unreachable at ${url} (${detail})`, code);
  return new AgentUnavailable(`${who} could not be reached at ${url} (${detail})`, code);
}

/** The address check of TLS, and then the host id the certificate must name. */
function checkHostIdentity(hostname: string, cert: PeerCertificate, identity: string): Error | undefined {
  const err = checkServerIdentity(hostname, cert);
  if (err) return err;
  const cn = cert.subject?.CN;
  if (cn === identity) return undefined;
  return Object.assign(new Error(`the agent presented the certificate of host ${String(cn)}, not of host ${identity}`), { code: 'ERR_FULCRUM_HOST_IDENTITY' });
}

export class AgentClient {
  private readonly dispatcher: Agent;
  private readonly url: string;
  private readonly timeoutMs: number;

  constructor(options: AgentClientOptions) {
    verifyCertificate(options.tls.cert, options.tls.ca, { purpose: CLIENT_AUTH, keyPem: options.tls.key });
    this.url = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 60_000;
    const identity = options.identity ?? null;
    this.dispatcher = new Agent({
      connect: {
        ca: options.tls.ca,
        cert: options.tls.cert,
        key: options.tls.key,
        timeout: options.connectTimeoutMs ?? 5_000,
        ...(identity ? { checkServerIdentity: (hostname: string, cert: PeerCertificate) => checkHostIdentity(hostname, cert, identity) } : {}),
      },
    });
  }

  info(): Promise<AgentInfo> {
    return this.call(`the amphora agent`, 'GET', '/1.0/info');
  }

  /** Supervision events after `since` (a `seq` from an earlier answer). */
  supervisionEvents(since = 0): Promise<{ last_seq: number; events: SupervisionEvent[] }> {
    return this.call('the amphora agent', 'GET', `/1.0/supervision/events?since=${since}`);
  }

  registerAmphora(id: string, options: { netns?: string | null } = {}): Promise<{ amphora_id: string; netns: string | null; run_dir: string }> {
    return this.call(this.amphora(id), 'PUT', this.path(id), { netns: options.netns ?? null });
  }

  amphoraStatus(id: string): Promise<AmphoraStatus> {
    return this.call(this.amphora(id), 'GET', this.path(id));
  }

  deleteAmphora(id: string): Promise<void> {
    return this.call(this.amphora(id), 'DELETE', this.path(id));
  }

  /**
   * Starts, reloads, or (with `runtime`) applies runtime commands without a reload. `files`
   * are the PEM files the config names; given, they replace the amphora's certificate files.
   */
  putHaproxyConfig(id: string, config: string, runtime?: string[], files?: AmphoraFileContent[]): Promise<HaproxyApplyResult> {
    return this.call(this.amphora(id), 'PUT', this.path(id, 'haproxy'), { config, ...(runtime !== undefined ? { runtime } : {}), ...(files !== undefined ? { files } : {}) });
  }

  stopHaproxy(id: string): Promise<void> {
    return this.call(this.amphora(id), 'DELETE', this.path(id, 'haproxy'));
  }

  stats(id: string): Promise<HaproxyStats> {
    return this.call(this.amphora(id), 'GET', this.path(id, 'stats'));
  }

  /** The top offenders of a listener's protection table. */
  sources(id: string, listenerId: string, limit: number): Promise<SourcesReport> {
    return this.call(this.amphora(id), 'GET', `${this.path(id, `sources/${listenerId}`)}?limit=${limit}`);
  }

  putKeepalivedConfig(id: string, config: string): Promise<KeepalivedApplyResult> {
    return this.call(this.amphora(id), 'PUT', this.path(id, 'keepalived'), { config });
  }

  /** Replaces the amphora's UDP/SCTP data plane (an nftables table) with this plan's. */
  putL4Plan(id: string, plan: L4Plan): Promise<L4ApplyResult> {
    return this.call(this.amphora(id), 'PUT', this.path(id, 'l4'), { plan });
  }

  stopKeepalived(id: string): Promise<void> {
    return this.call(this.amphora(id), 'DELETE', this.path(id, 'keepalived'));
  }

  setTrack(id: string, fault: boolean): Promise<{ fault: boolean; fault_requested: boolean }> {
    return this.call(this.amphora(id), 'PUT', this.path(id, 'track'), { fault });
  }

  /** SIGKILLs the amphora's keepalived and haproxy (a failover drill); the process group leaders killed. */
  async crash(id: string): Promise<number[]> {
    return (await this.call<{ killed: number[] }>(this.amphora(id), 'PUT', this.path(id, 'crash'))).killed;
  }

  async interfaces(id: string): Promise<NetworkInterface[]> {
    return (await this.call<{ interfaces: NetworkInterface[] }>(this.amphora(id), 'GET', this.path(id, 'interfaces'))).interfaces;
  }

  /** The amphora's access log: the newest `limit` lines after sequence `after` and from `sinceMs` on. */
  logs(id: string, query: { after?: number; sinceMs?: number; limit: number }): Promise<AgentLogAnswer> {
    const params = new URLSearchParams({ limit: String(query.limit) });
    if (query.after !== undefined) params.set('after', String(query.after));
    if (query.sinceMs !== undefined) params.set('since', String(Math.max(0, Math.floor(query.sinceMs))));
    return this.call(this.amphora(id), 'GET', `${this.path(id, 'logs')}?${params}`);
  }

  heartbeatSettings(): Promise<{ digest: string | null }> {
    return this.call('the amphora agent', 'GET', '/1.0/heartbeat');
  }

  putHeartbeatSettings(settings: HeartbeatSettings): Promise<{ digest: string }> {
    return this.call('the amphora agent', 'PUT', '/1.0/heartbeat', settings);
  }

  /** The certificate the agent serves (as its files say). */
  certificate(): Promise<ServedCertificate> {
    return this.call('the amphora agent', 'GET', '/1.0/certificate');
  }

  /** A signing request for a new key the agent keeps pending. */
  async certificateRequest(): Promise<string> {
    return (await this.call<{ csr: string }>('the amphora agent', 'POST', '/1.0/certificate/csr')).csr;
  }

  /** Gives the agent its renewed certificate (for the pending key); it serves it to new connections. */
  installCertificate(certificatePem: string): Promise<ServedCertificate> {
    return this.call('the amphora agent', 'PUT', '/1.0/certificate', { certificate: certificatePem });
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }

  private amphora(id: string): string {
    return `amphora ${id}`;
  }

  private path(id: string, sub?: string): string {
    return `/1.0/amphorae/${encodeURIComponent(id)}${sub ? `/${sub}` : ''}`;
  }

  private async call<T>(who: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let response;
    try {
      response = await request(this.url + path, {
        dispatcher: this.dispatcher,
        method,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (err) {
      throw describeTransportError(who, this.url, err);
    }
    const text = await response.body.text();
    if (response.statusCode === 204) return undefined as T;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new AgentRequestFailed('LB_ERR_AGENT_BAD_RESPONSE', response.statusCode, `${who}: ${method} ${path} answered ${response.statusCode} with non-JSON: ${text.slice(0, 200)}`, null);
    }
    if (response.statusCode >= 400) {
      const e = parsed as { code?: string; message?: string; details?: unknown };
      throw new AgentRequestFailed(
        e.code ?? 'LB_ERR_AGENT_UNKNOWN',
        response.statusCode,
        `${who}: ${e.message ?? `${method} ${path} failed with ${response.statusCode}`}`,
        e.details ?? null,
        permanentAnswer(response.statusCode, e.code),
      );
    }
    return parsed as T;
  }
}
