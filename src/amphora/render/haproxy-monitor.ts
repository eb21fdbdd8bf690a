// Health monitors: the backend's check directives and the check options of each server line.
import { HTTP_METHODS } from '../../model/enums.ts';
import type { HealthMonitor, Member, PoolNode } from '../../model/lb-graph.ts';
import { RenderInputError } from './errors.ts';
import {
  bracketed,
  checkEnum,
  checkHostname,
  checkInteger,
  checkUrlPath,
  parseExpectedCodes,
  quote,
} from './haproxy-quote.ts';

/** The pool's monitor when it takes effect (admin-down monitors check nothing, as in Octavia). */
function activeMonitor(pool: PoolNode): HealthMonitor | null {
  return pool.healthMonitor?.admin_state_up ? pool.healthMonitor : null;
}

/** `^(20[0-4]|30[12])$` for 200-204,301,302: one alternative per leading two digits keeps it short. */
export function statusRegex(codes: number[]): string {
  const byPrefix = new Map<string, number[]>();
  for (const code of codes) {
    const text = String(code).padStart(3, '0');
    const digits = byPrefix.get(text.slice(0, 2)) ?? [];
    digits.push(Number(text[2]));
    byPrefix.set(text.slice(0, 2), digits);
  }
  const alternatives = [...byPrefix].map(([prefix, digits]) => `${prefix}${digitClass(digits)}`);
  return `^(${alternatives.join('|')})$`;
}

function digitClass(digits: number[]): string {
  if (digits.length === 1) return String(digits[0]);
  const runs: string[] = [];
  for (let i = 0; i < digits.length; ) {
    let j = i;
    while (j + 1 < digits.length && digits[j + 1] === digits[j] + 1) j++;
    runs.push(j - i >= 2 ? `${digits[i]}-${digits[j]}` : digits.slice(i, j + 1).join(''));
    i = j + 1;
  }
  return `[${runs.join('')}]`;
}

function httpCheckLines(hm: HealthMonitor): string[] {
  const field = `health monitor ${hm.id}`;
  const method = checkEnum(hm.http_method ?? 'GET', HTTP_METHODS, `${field} http_method`);
  const path = quote(checkUrlPath(hm.url_path ?? '/', `${field} url_path`), `${field} url_path`);
  // Octavia's provider default is HTTP/1.0; the Host header only goes with 1.1 (docs/octavia-compatibility.md §5.6).
  const version = hm.http_version === null ? '1.0' : checkEnum(hm.http_version.toFixed(1), ['1.0', '1.1'], `${field} http_version`);
  let send = `http-check send meth ${method} uri ${path} ver HTTP/${version}`;
  if (version === '1.1' && hm.domain_name !== null) send += ` hdr Host ${checkHostname(hm.domain_name, `${field} domain_name`)}`;
  const codes = parseExpectedCodes(hm.expected_codes ?? '200', `${field} expected_codes`);
  const expect = codes.length === 1 ? `http-check expect status ${codes[0]}` : `http-check expect rstatus ${quote(statusRegex(codes), `${field} expected_codes`)}`;
  return ['option httpchk', send, expect];
}

/** Backend directives of the monitor; the check itself is switched on per server. */
export function monitorBackendLines(pool: PoolNode): string[] {
  const hm = activeMonitor(pool);
  if (!hm) return [];
  const lines = [`timeout check ${checkInteger(hm.timeout, `health monitor ${hm.id} timeout`, 0, 86_400)}s`];
  switch (hm.type) {
    case 'HTTP':
    case 'HTTPS':
      return [...lines, ...httpCheckLines(hm)];
    case 'TLS-HELLO':
      return [...lines, 'option ssl-hello-chk'];
    // HAProxy cannot send ICMP; Octavia forks an external ping script per check, which needs
    // `insecure-fork-wanted`. A TCP connect to the member port is stricter and needs nothing.
    case 'PING':
    case 'TCP':
      return lines;
    default:
      throw new RenderInputError(`health monitor ${hm.id}: type ${hm.type} cannot be rendered for HAProxy`);
  }
}

/** The check words of a member's server line. */
export function serverCheckWords(pool: PoolNode, member: Member): string[] {
  const hm = activeMonitor(pool);
  if (!hm) return [];
  const field = `health monitor ${hm.id}`;
  const words = ['check'];
  // Checks follow the server's `ssl` only while they use its address and port, so HTTPS checks
  // say so themselves; a re-encrypting pool's verification settings then apply to them too.
  if (hm.type === 'HTTPS') words.push(pool.tls_enabled ? 'check-ssl' : 'check-ssl verify none');
  // HAProxy refuses `inter 0`; a zero delay means "as often as possible", i.e. the 1 s minimum here.
  const delay = Math.max(checkInteger(hm.delay, `${field} delay`, 0, 86_400), 1);
  words.push(`inter ${delay}s`, `fall ${checkInteger(hm.max_retries_down, `${field} max_retries_down`, 1, 10)}`);
  words.push(`rise ${checkInteger(hm.max_retries, `${field} max_retries`, 1, 10)}`);
  if (member.monitor_address !== null) words.push(`addr ${bracketed(member.monitor_address, `member ${member.id} monitor_address`)}`);
  if (member.monitor_port !== null) words.push(`port ${checkInteger(member.monitor_port, `member ${member.id} monitor_port`, 1, 65535)}`);
  return words;
}
