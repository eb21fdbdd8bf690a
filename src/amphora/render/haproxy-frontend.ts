// One frontend per listener, named by listener id.
import type { ListenerNode, LoadBalancer, PoolNode } from '../../model/lb-graph.ts';
import { frontendLogLines } from './haproxy-logging.ts';
import { RenderInputError } from './errors.ts';
import { backendName, frontendMode } from './haproxy-backend.ts';
import { section, type RenderEnv } from './haproxy-env.ts';
import { activePolicies, l7Lines, redirectPool } from './haproxy-l7.ts';
import { checkCidr, checkId, checkInteger, hostPort, quote } from './haproxy-quote.ts';
import { bindTlsWords } from './haproxy-tls.ts';
import { protectionLines, slowClientLines } from './haproxy-protection.ts';

// Long allow-lists are split over several ACL lines of the same name, which HAProxy ORs.
const CIDRS_PER_LINE = 32;

function enabled(listener: ListenerNode, header: string): boolean {
  const value = Object.entries(listener.insert_headers).find(([k]) => k.toLowerCase() === header.toLowerCase())?.[1];
  return value?.toLowerCase() === 'true';
}

const CLIENT_CERT_HEADERS: Record<string, string> = {
  'X-SSL-Client-Verify': '%[ssl_c_verify]',
  'X-SSL-Client-Has-Cert': '%[ssl_c_used]',
  'X-SSL-Client-DN': '%{+Q}[ssl_c_s_dn]',
  'X-SSL-Client-CN': '%{+Q}[ssl_c_s_dn(cn)]',
  'X-SSL-Issuer': '%{+Q}[ssl_c_i_dn]',
  'X-SSL-Client-SHA1': '%{+Q}[ssl_c_sha1,hex]',
  'X-SSL-Client-Not-Before': '%{+Q}[ssl_c_notbefore]',
  'X-SSL-Client-Not-After': '%{+Q}[ssl_c_notafter]',
};

function headerLines(listener: ListenerNode): string[] {
  const lines: string[] = [];
  if (enabled(listener, 'X-Forwarded-For')) lines.push('option forwardfor');
  if (enabled(listener, 'X-Forwarded-Port')) lines.push('http-request set-header X-Forwarded-Port %[dst_port]');
  if (enabled(listener, 'X-Forwarded-Proto')) {
    lines.push(`http-request set-header X-Forwarded-Proto ${listener.protocol === 'TERMINATED_HTTPS' ? 'https' : 'http'}`);
  }
  // Accepted by the API but ignored by Octavia's template; here they carry the client address,
  // which is what their names promise.
  for (const header of ['X-Forwarded-IP', 'X-Client-IP', 'X-Real-IP']) {
    if (enabled(listener, header)) lines.push(`http-request set-header ${header} %[src]`);
  }
  if (listener.protocol === 'TERMINATED_HTTPS') {
    for (const [header, value] of Object.entries(CLIENT_CERT_HEADERS)) {
      if (enabled(listener, header)) lines.push(`http-request set-header ${header} ${value}`);
    }
  }
  return lines;
}

function hstsLines(listener: ListenerNode): string[] {
  if (listener.protocol !== 'TERMINATED_HTTPS' || listener.hsts_max_age === null) return [];
  const parts = [`max-age=${checkInteger(listener.hsts_max_age, `listener ${listener.id} hsts_max_age`, 0, 2 ** 31 - 1)}`];
  if (listener.hsts_include_subdomains) parts.push('includeSubDomains');
  if (listener.hsts_preload) parts.push('preload');
  return [`http-response set-header Strict-Transport-Security ${quote(parts.join('; '), 'hsts')}`];
}

function allowedCidrLines(listener: ListenerNode): string[] {
  const cidrs = listener.allowed_cidrs.map((c) => checkCidr(c, `listener ${listener.id} allowed_cidrs`));
  if (cidrs.length === 0) return [];
  const acls: string[] = [];
  for (let i = 0; i < cidrs.length; i += CIDRS_PER_LINE) acls.push(`acl allowed_cidr src ${cidrs.slice(i, i + CIDRS_PER_LINE).join(' ')}`);
  return [...acls, 'tcp-request connection reject unless allowed_cidr'];
}

/** The listener's default pool when it takes traffic; an admin-down pool gets no backend. */
function defaultPool(listener: ListenerNode, pools: Map<string, PoolNode>): PoolNode | null {
  if (listener.default_pool_id === null) return null;
  const pool = pools.get(listener.default_pool_id);
  if (!pool) throw new RenderInputError(`listener ${listener.id}: default pool ${listener.default_pool_id} is not in the graph`);
  return pool.admin_state_up ? pool : null;
}

/** Every pool the listener routes to, i.e. the backends to render for it. */
export function routedPools(listener: ListenerNode, pools: Map<string, PoolNode>): PoolNode[] {
  if (listener.protocol === 'PROMETHEUS') return [];
  const routed = new Map<string, PoolNode>();
  for (const policy of activePolicies(listener, pools)) {
    if (policy.action === 'REDIRECT_TO_POOL') routed.set(policy.redirect_pool_id!, redirectPool(policy, pools));
  }
  const fallback = defaultPool(listener, pools);
  if (fallback) routed.set(fallback.id, fallback);
  return [...routed.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** Lines that hand requests to a backend (L7 policies, then the default pool) or to a service. */
function routingLines(listener: ListenerNode, pools: Map<string, PoolNode>): string[] {
  if (listener.protocol === 'PROMETHEUS') {
    return ['http-request use-service prometheus-exporter if { path /metrics }', 'http-request return status 404'];
  }
  const backend = (poolId: string) => backendName(poolId, listener.id);
  const lines = l7Lines(activePolicies(listener, pools), backend);
  const fallback = defaultPool(listener, pools);
  // Without a default backend HTTP clients get a 503 and TCP connections are closed.
  if (fallback) lines.push(`default_backend ${backend(fallback.id)}`);
  return lines;
}

/** The listener's limit within the amphora's cap; −1 (and 0, as in Octavia) mean "the cap". */
function listenerMaxconn(listener: ListenerNode, cap: number): number {
  return listener.connection_limit > 0 ? Math.min(listener.connection_limit, cap) : cap;
}

export function renderFrontend(listener: ListenerNode, pools: Map<string, PoolNode>, serving: boolean, env: RenderEnv, lb: Pick<LoadBalancer, 'id' | 'project_id'>): string {
  const field = `listener ${listener.id}`;
  const mode = frontendMode(listener);
  const tlsWords = bindTlsWords(listener, env);
  // One bind line per VIP, each with the listener's TLS settings.
  const binds = [env.ctx.vipAddress, ...env.ctx.additionalVipAddresses].map((address) =>
    ['bind', hostPort(address, listener.protocol_port, `${field} protocol_port`), ...tlsWords].join(' '),
  );
  const inspectDelay = checkInteger(listener.timeout_tcp_inspect, `${field} timeout_tcp_inspect`, 0, 2_073_600_000);
  const lines = [
    ...(serving ? [] : ['disabled']),
    `mode ${mode}`,
    ...binds,
    `maxconn ${listenerMaxconn(listener, env.ctx.maxconn)}`,
    `timeout client ${checkInteger(listener.timeout_client_data, `${field} timeout_client_data`, 0, 2_073_600_000)}`,
    ...slowClientLines(listener, mode),
    ...frontendLogLines(env.ctx, listener, lb.project_id, lb.id, mode),
    // Keep-alive clients racing an old worker's idle close saw errors on reload (docs/dataplane.md §3).
    ...(mode === 'http' ? ['option idle-close-on-response'] : []),
    ...(inspectDelay > 0 ? [`tcp-request inspect-delay ${inspectDelay}`] : []),
    // Refused addresses are turned away before they take a slot in the protection table.
    ...allowedCidrLines(listener),
    ...protectionLines(listener, mode, env),
    ...(mode === 'http' ? [...headerLines(listener), ...hstsLines(listener)] : []),
    ...routingLines(listener, pools),
  ];
  return section(`frontend ${checkId(listener.id, `${field} id`)}`, lines);
}
