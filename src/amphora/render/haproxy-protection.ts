// A listener's per-source protection and slow-client defences, as frontend lines
// (docs/dataplane.md §9). Every client address is tracked in the frontend's own
// stick table (`src`, IPv4 stored v4-mapped so one table serves both families); connections
// over a per-source limit are rejected before anything else is spent on them (no TLS
// handshake), requests over the rate get the listener's action. Each refusal also counts in the
// source's entry, one counter per reason, so the agent can list the top offenders.
import { effectiveProtection, enforceableProtection, protectionEnabled, type ProtectionSettings } from '../../model/protection.ts';
import type { ListenerNode } from '../../model/lb-graph.ts';
import type { RenderEnv } from './haproxy-env.ts';
import { checkEnum, checkInteger } from './haproxy-quote.ts';

/** Sources tracked at once per listener; the least recently seen is evicted when it is full. */
export const PROTECTION_TABLE_SIZE = '100k';
/** How long an idle source stays listed (and its refusal counts visible to the operator). */
export const PROTECTION_TABLE_EXPIRE_MS = 60_000;
/** The rate window: limits are per second. */
const RATE_PERIOD = '1s';
/** What a refused HTTP client is told to wait: one rate window. */
export const RETRY_AFTER_SECONDS = 1;
/** How long a tarpitted request is held before its 429. */
export const TARPIT_MS = 5_000;

/** The refusal counters of a source's entry, by index (`gpc(3)`), as the agent reads them. */
export const REFUSAL_REASONS = ['concurrent_connections', 'new_connections_rate', 'requests_rate'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * A whole HTTP request (its headers) must arrive within this, whatever the listener's client
 * timeout: a client trickling its headers a byte at a time otherwise holds its connection for
 * as long as each byte comes within the client timeout.
 */
export const HTTP_REQUEST_TIMEOUT_CAP_MS = 10_000;

/** The settings in force on the listener: operator defaults, then flavor and listener. */
export function listenerProtection(listener: ListenerNode, env: RenderEnv): ProtectionSettings {
  return enforceableProtection(listener.protocol, effectiveProtection(env.ctx.protectionDefaults, listener.protection));
}

/** `timeout http-request`: the listener's client timeout, capped; the cap where it has none. */
export function httpRequestTimeout(listener: ListenerNode): number {
  const client = listener.timeout_client_data;
  return client > 0 ? Math.min(client, HTTP_REQUEST_TIMEOUT_CAP_MS) : HTTP_REQUEST_TIMEOUT_CAP_MS;
}

/** Slow-client defences of an HTTP frontend, on whatever the protection settings. */
export function slowClientLines(listener: ListenerNode, mode: 'http' | 'tcp'): string[] {
  if (mode !== 'http') return [];
  return [`timeout http-request ${httpRequestTimeout(listener)}`];
}

function limit(value: number, field: string): number {
  return checkInteger(value, field, 1, 1_000_000);
}

/** The stick table and the rules; empty when no limit is in force. */
export function protectionLines(listener: ListenerNode, mode: 'http' | 'tcp', env: RenderEnv): string[] {
  const s = listenerProtection(listener, env);
  if (!protectionEnabled(s)) return [];
  const field = `listener ${listener.id} protection`;
  const peers = env.peers ? ` peers ${env.peers}` : '';
  const store = ['conn_cur', `conn_rate(${RATE_PERIOD})`, ...(mode === 'http' ? [`http_req_rate(${RATE_PERIOD})`] : []), `gpc(${REFUSAL_REASONS.length})`];
  const lines = [
    `stick-table type ipv6 size ${PROTECTION_TABLE_SIZE} expire ${PROTECTION_TABLE_EXPIRE_MS} store ${store.join(',')}${peers}`,
    'tcp-request connection track-sc0 src',
  ];
  // The sample counts the connection being decided on, hence "greater than the limit".
  const refuseConnection = (reason: RefusalReason, condition: string) => [
    `tcp-request connection sc-inc-gpc(${REFUSAL_REASONS.indexOf(reason)},0) if ${condition}`,
    `tcp-request connection reject if ${condition}`,
  ];
  if (s.concurrent_connections_per_source !== null) {
    lines.push(...refuseConnection('concurrent_connections', `{ sc_conn_cur(0) gt ${limit(s.concurrent_connections_per_source, `${field} concurrent_connections_per_source`)} }`));
  }
  if (s.new_connections_per_second_per_source !== null) {
    lines.push(...refuseConnection('new_connections_rate', `{ sc_conn_rate(0) gt ${limit(s.new_connections_per_second_per_source, `${field} new_connections_per_second_per_source`)} }`));
  }
  if (mode === 'http' && s.requests_per_second_per_source !== null) {
    const threshold = limit(s.requests_per_second_per_source, `${field} requests_per_second_per_source`) + checkInteger(s.burst, `${field} burst`, 0, 1_000_000);
    const over = `{ sc_http_req_rate(0) gt ${threshold} }`;
    const retryAfter = `hdr Retry-After ${RETRY_AFTER_SECONDS}`;
    lines.push(`http-request sc-inc-gpc(${REFUSAL_REASONS.indexOf('requests_rate')},0) if ${over}`);
    const action = checkEnum(s.action, ['deny_429', 'tarpit', 'reject'], `${field} action`);
    if (action === 'deny_429') lines.push(`http-request deny deny_status 429 ${retryAfter} if ${over}`);
    if (action === 'tarpit') lines.push(`http-request tarpit deny_status 429 ${retryAfter} if ${over}`);
    if (action === 'reject') lines.push(`http-request reject if ${over}`);
  }
  const tarpits = mode === 'http' && s.requests_per_second_per_source !== null && s.action === 'tarpit';
  return tarpits ? [`timeout tarpit ${TARPIT_MS}`, ...lines] : lines;
}
