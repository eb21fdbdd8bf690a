// How an amphora's HAProxy logs, when it logs to its agent. By default (`agent-pipe`) it writes
// each line to a descriptor it inherited from the agent: a named pipe in the run directory that
// the agent reads. The pipe outlives the agent: while no agent reads, the kernel keeps its buffer
// (the oldest 64 KiB of lines), further lines are dropped by a write that fails at once, and
// with no traffic nothing happens at all. The alternative (`agent`, FULCRUM_HAPROXY_LOG_TRANSPORT
// =ring) is a `ring` buffer in HAProxy's memory forwarded over a stream connection to the agent's
// unix socket; HAProxy 2.6 retries that connection without any delay while nobody listens, about
// a thousand failed connects per second per HAProxy, for as long as the agent is away
// (docs/access-logs.md §1). Both reach the agent from inside a network namespace (a path, not an
// address). Traffic goes to facility local0 and the administrative messages (server up/down,
// alerts) to local1 at notice and above, the split Octavia's amphorae use. Pure.
import type { ListenerNode } from '../../model/lb-graph.ts';
import type { AmphoraRenderContext } from './context.ts';
import { checkId, checkInteger, quote } from './haproxy-quote.ts';

export const LOG_RING = 'fulcrum_log';
/** The longest message the ring carries; longer request lines are cut, not dropped. */
export const LOG_MAX_LENGTH = 8192;
/**
 * The longest line written to the pipe, its line feed included: PIPE_BUF, so that a line is
 * written whole or not at all (also by the old and new workers of a reload sharing the pipe),
 * never cut in the middle by a full pipe.
 */
export const PIPE_LOG_MAX_LENGTH = 4096;

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
    case 'agent-pipe':
      return [`log fd@${ctx.log.fd} len ${PIPE_LOG_MAX_LENGTH} format rfc5424 local0 info`, `log fd@${ctx.log.fd} len ${PIPE_LOG_MAX_LENGTH} format rfc5424 local1 notice`];
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
