// One backend per (pool, listener) pair, named `<pool id>:<listener id>` as in Octavia: the mode
// and the member timeouts come from the listener, so a pool shared by two listeners needs two.
// The runtime API (weights, drain, add/remove member) must therefore act on every backend of the
// pool, and servers are named by member id.
import { isIP } from 'node:net';
import type { ListenerNode, Member, PoolNode } from '../../model/lb-graph.ts';
import { section, type RenderEnv } from './haproxy-env.ts';
import { monitorBackendLines, serverCheckWords } from './haproxy-monitor.ts';
import { checkId, checkInteger, checkToken, hostPort, quote } from './haproxy-quote.ts';
import { serverTlsWords } from './haproxy-tls.ts';

const BALANCE: Record<string, string> = {
  ROUND_ROBIN: 'roundrobin',
  LEAST_CONNECTIONS: 'leastconn',
  SOURCE_IP: 'source',
  // `balance source` hashes the address only; the port joins it through a session variable
  // (the `concat` converter takes variables, not fetches), set before the server is chosen.
  SOURCE_IP_PORT: 'hash src,concat(:,sess.src_port)',
};

function balanceLines(pool: PoolNode): string[] {
  const lines = [`balance ${BALANCE[pool.lb_algorithm]}`];
  if (pool.lb_algorithm === 'SOURCE_IP_PORT') lines.push('tcp-request content set-var(sess.src_port) src_port');
  return lines;
}

/** Octavia's stick-table size; entries are evicted least-recently-used when it is full. */
const STICK_TABLE_SIZE = '10k';

export function backendName(poolId: string, listenerId: string): string {
  return `${checkId(poolId, 'pool id')}:${checkId(listenerId, 'listener id')}`;
}

/** The pool a backend serves, from its name (see backendName). */
export function backendPoolId(name: string): string {
  return name.split(':')[0];
}

export function frontendMode(listener: ListenerNode): 'http' | 'tcp' {
  return ['HTTP', 'TERMINATED_HTTPS', 'PROMETHEUS'].includes(listener.protocol) ? 'http' : 'tcp';
}

/** PROXY pools speak the listener's protocol; an HTTP pool behind a TCP listener is still HTTP. */
function backendMode(pool: PoolNode, listener: ListenerNode): 'http' | 'tcp' {
  if (pool.protocol === 'HTTP') return 'http';
  if (pool.protocol === 'PROXY' || pool.protocol === 'PROXYV2') return frontendMode(listener);
  return 'tcp';
}

// Cookie persistence needs HTTP mode; HAProxy ignores it (with a warning) on a TCP backend, and
// so does this renderer, silently.
function persistenceLines(pool: PoolNode, mode: 'http' | 'tcp', env: RenderEnv): string[] {
  const sp = pool.session_persistence;
  const peers = env.peers ? ` peers ${env.peers}` : '';
  switch (sp?.type) {
    case 'SOURCE_IP': {
      const type = isIP(env.ctx.vipAddress) === 6 ? 'ipv6' : 'ip';
      return [`stick-table type ${type} size ${STICK_TABLE_SIZE}${peers}`, 'stick on src'];
    }
    case 'HTTP_COOKIE':
      return mode === 'http' ? ['cookie SRV insert indirect nocache'] : [];
    case 'APP_COOKIE': {
      if (mode !== 'http') return [];
      const field = `pool ${pool.id} session_persistence cookie_name`;
      const name = checkToken(sp.cookie_name ?? '', field);
      return [
        `stick-table type string len 64 size ${STICK_TABLE_SIZE}${peers}`,
        `stick store-response ${quote(`res.cook(${name})`, field)}`,
        `stick match ${quote(`req.cook(${name})`, field)}`,
      ];
    }
    default:
      return [];
  }
}

function serverLine(pool: PoolNode, member: Member, mode: 'http' | 'tcp', env: RenderEnv): string {
  const field = `member ${member.id}`;
  const words = [
    'server',
    checkId(member.id, `${field} id`),
    hostPort(member.address, member.protocol_port, `${field} address`),
    `weight ${checkInteger(member.weight, `${field} weight`, 0, 256)}`,
    ...serverCheckWords(pool, member),
  ];
  if (pool.session_persistence?.type === 'HTTP_COOKIE' && mode === 'http') words.push(`cookie ${member.id}`);
  if (pool.protocol === 'PROXY') words.push('send-proxy');
  if (pool.protocol === 'PROXYV2') words.push('send-proxy-v2');
  if (member.backup) words.push('backup');
  if (!member.admin_state_up) words.push('disabled');
  words.push(...serverTlsWords(pool, env));
  return words.join(' ');
}

export function renderBackend(pool: PoolNode, listener: ListenerNode, env: RenderEnv): string {
  const mode = backendMode(pool, listener);
  const members = [...pool.members].sort((a, b) => a.id.localeCompare(b.id));
  return section(`backend ${backendName(pool.id, listener.id)}`, [
    `mode ${mode}`,
    ...balanceLines(pool),
    `timeout connect ${checkInteger(listener.timeout_member_connect, `listener ${listener.id} timeout_member_connect`, 0, 2_073_600_000)}`,
    `timeout server ${checkInteger(listener.timeout_member_data, `listener ${listener.id} timeout_member_data`, 0, 2_073_600_000)}`,
    ...persistenceLines(pool, mode, env),
    ...monitorBackendLines(pool),
    // When every primary member is down, spread over all backup members rather than the first.
    'option allbackups',
    ...members.map((m) => serverLine(pool, m, mode, env)),
  ]);
}
