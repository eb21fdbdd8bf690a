// How an amphora's HAProxy logs, when it logs to its agent: a `ring` buffer in HAProxy's own
// memory, forwarded over a stream connection to the agent's unix socket in the run directory.
// A ring rather than a datagram socket or a file: it is bounded (a slow or restarting agent costs
// old messages, never memory or disk), it keeps what arrived while the agent was away, and a unix
// path reaches the agent from inside a network namespace. Traffic goes to facility local0 and the
// administrative messages (server up/down, alerts) to local1 at notice and above, the split
// Octavia's amphorae use (docs/access-logs.md §1). Pure.
import type { ListenerNode } from '../../model/lb-graph.ts';
import type { AmphoraRenderContext } from './context.ts';
import { checkId, checkInteger, quote } from './haproxy-quote.ts';

export const LOG_RING = 'fulcrum_log';
/** The longest message the ring carries; longer request lines are cut, not dropped. */
export const LOG_MAX_LENGTH = 8192;

/**
 * Octavia's default access-log fields (its `user_log_format`): project, load balancer, frontend
 * (our listener id), client address and port, accept date, request line, status, bytes sent,
 * bytes received, client-certificate verification and subject, backend, server, total time and
 * termination state. TCP listeners have no request line or status: those become `-`.
 */
const ACCESS_FIELDS = ['%f', '%ci', '%cp', '%t', '%{+Q}r', '%ST', '%B', '%U', '%[ssl_c_verify]', '%{+Q}[ssl_c_s_dn]', '%b', '%s', '%Tt', '%tsc'];
const HTTP_ONLY_FIELDS = new Set(['%{+Q}r', '%ST']);

/** The `log-format` argument of one listener's frontend. */
export function accessLogFormat(projectId: string, loadBalancerId: string, mode: 'http' | 'tcp'): string {
  const fields = ACCESS_FIELDS.map((f) => (mode === 'tcp' && HTTP_ONLY_FIELDS.has(f) ? '-' : f)).join(' ');
  // The project is data, not an expression: a `%` in it is doubled.
  return quote(`${projectId.replaceAll('%', '%%')} ${checkId(loadBalancerId, 'load balancer id')} ${fields}`, 'access log format');
}

/** The global `log` lines; none when the amphora does not log. */
export function globalLogLines(ctx: AmphoraRenderContext): string[] {
  switch (ctx.log.kind) {
    case 'stdout':
      return ['log stdout format raw local0'];
    case 'unix':
      return [`log ${ctx.log.path} local0`];
    case 'agent':
      return [`log ring@${LOG_RING} len ${LOG_MAX_LENGTH} local0 info`, `log ring@${LOG_RING} len ${LOG_MAX_LENGTH} local1 notice`];
    case 'none':
      return [];
  }
}

/** The ring that carries the log to the agent, for `log.kind === 'agent'`. */
export function logRingSection(ctx: AmphoraRenderContext): string[] {
  if (ctx.log.kind !== 'agent') return [];
  return [
    `ring ${LOG_RING}`,
    ...[
      'format rfc5424',
      `maxlen ${LOG_MAX_LENGTH}`,
      `size ${checkInteger(ctx.log.ringBytes, 'log.ringBytes', 32_768, 64 * 1024 * 1024)}`,
      'timeout connect 1s',
      'timeout server 10s',
      `server agent unix@${ctx.log.socket}`,
    ].map((line) => `    ${line}`),
  ];
}

/**
 * A frontend's logging lines: its tag (the listener id, which the agent files lines under) and
 * format; `no log` when connections are not logged (the backends keep `log global` from the
 * defaults, so their servers' state changes are still logged).
 */
export function frontendLogLines(ctx: AmphoraRenderContext, listener: ListenerNode, projectId: string, loadBalancerId: string, mode: 'http' | 'tcp'): string[] {
  if (ctx.log.kind === 'none') return [];
  if (ctx.connectionLogging === false) return ['no log'];
  return [`log-tag ${checkId(listener.id, `listener ${listener.id} id`)}`, `log-format ${accessLogFormat(projectId, loadBalancerId, mode)}`];
}
