// The only ways a value that came from outside (a tenant, the database, an operator setting) gets
// into haproxy.cfg. HAProxy reads the file line by line and splits words on spaces; `#` starts a
// comment, `\` escapes, `"…"` quotes weakly (and expands `$VAR`), `'…'` quotes strongly (nothing
// inside is interpreted). So a value is either checked against a charset that needs no quoting
// (ids, addresses, enums, numbers) or strong-quoted, and a value that cannot be represented on one
// line (CR, LF, NUL, other control characters) is refused. Every helper returns the text to write.
import { isIP } from 'node:net';
import { cidrFamily } from '../../model/cidr.ts';
import { UnsafeConfigValue } from './errors.ts';

// C0 controls and DEL: LF/CR would end the line, NUL would end the C string HAProxy parses.
const CONTROL = /[\u0000-\u001f\u007f]/;

function refuse(field: string, reason: string): never {
  throw new UnsafeConfigValue(field, reason);
}

/**
 * One config word holding exactly `value`: strong quotes, with an embedded `'` written as `'\''`
 * (HAProxy concatenates adjacent quoted and escaped pieces, as a shell does).
 */
export function quote(value: string, field: string): string {
  if (value === '') refuse(field, 'must not be empty');
  if (CONTROL.test(value)) refuse(field, 'must not contain control characters (CR, LF, NUL, …)');
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** As `quote`, for arguments HAProxy reads as a log-format string, where `%` starts an expression. */
export function quoteLogFormat(value: string, field: string): string {
  return quote(value.replaceAll('%', '%%'), field);
}

// HAProxy's charset for proxy, server, ACL and peer names; UUIDs fit.
const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** An object id used as a name in the config (frontend, backend, server, ACL, peer). */
export function checkId(value: string, field: string): string {
  if (!ID.test(value)) refuse(field, 'must be an identifier of letters, digits, "-", "_", "." or ":"');
  return value;
}

// RFC 7230 token without `'`: the sample-fetch argument parser treats `'` as a quote.
const TOKEN = /^[A-Za-z0-9!#$%&*+.^_`|~-]{1,255}$/;

/** A header or cookie name used as a sample-fetch argument, e.g. `req.hdr(<name>)`. */
export function checkToken(value: string, field: string): string {
  if (!TOKEN.test(value)) refuse(field, 'must be an HTTP token (letters, digits and !#$%&*+.^_`|~-)');
  return value;
}

/** An X.509 DN attribute name for `ssl_c_s_dn(<field>)`, e.g. CN or OU. */
export function checkDnField(value: string, field: string): string {
  if (!/^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(value)) refuse(field, 'must be a DN attribute name such as CN');
  return value;
}

export function checkEnum<T extends string>(value: string, allowed: readonly T[], field: string): T {
  if (!(allowed as readonly string[]).includes(value)) refuse(field, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

export function checkInteger(value: number, field: string, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) refuse(field, `must be an integer from ${min} to ${max}`);
  return value;
}

/** A health-check request path: absolute, visible ASCII, no spaces. */
export function checkUrlPath(value: string, field: string): string {
  if (!/^\/[\x21-\x7e]*$/.test(value) || value.length > 2048) refuse(field, 'must be a path starting with "/" without spaces');
  return value;
}

/** A DNS name for the health-check Host header. */
export function checkHostname(value: string, field: string): string {
  const label = '[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
  if (value.length > 255 || !new RegExp(`^${label}(\\.${label})*\\.?$`).test(value)) refuse(field, 'must be a host name');
  return value;
}

/** `200`, `200,202` or `200-204` (docs/octavia-compatibility.md §5.6) → the status codes it stands for. */
export function parseExpectedCodes(value: string, field: string): number[] {
  const list = /^\d{3}(\s*,\s*\d{3})*$/.test(value);
  const range = /^(\d{3})-(\d{3})$/.exec(value);
  if (!list && !range) refuse(field, 'must be a code, a comma-separated list of codes or a range such as 200-204');
  if (list) return [...new Set(value.split(',').map((c) => Number(c.trim())))].sort((a, b) => a - b);
  const [from, to] = [Number(range![1]), Number(range![2])];
  if (from > to) refuse(field, 'range must be ascending');
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** An OpenSSL cipher list in the charset the API allows (docs/octavia-compatibility.md §5.3). */
export function checkCipherString(value: string, field: string): string {
  if (!/^[A-Za-z0-9+!:@=_.-]{1,2048}$/.test(value)) refuse(field, 'must be an OpenSSL cipher string');
  return value;
}

/** An absolute http(s) URL for a redirect: visible ASCII only, so it is one word. */
export function checkRedirectUrl(value: string, field: string): string {
  if (!/^https?:\/\/[\x21-\x7e]+$/i.test(value)) refuse(field, 'must be an absolute http or https URL without spaces');
  let host = '';
  try {
    host = new URL(value).host;
  } catch {
    refuse(field, 'must be an absolute http or https URL');
  }
  if (!host) refuse(field, 'must name a host');
  return value;
}

export function checkIp(value: string, field: string): string {
  if (isIP(value) === 0) refuse(field, 'must be an IPv4 or IPv6 address');
  return value;
}

/** `address:port` as HAProxy parses it; IPv6 in brackets so the port is not read as a group. */
export function hostPort(address: string, port: number, field: string): string {
  return `${bracketed(address, field)}:${checkInteger(port, `${field} port`, 1, 65535)}`;
}

/** An address where HAProxy would otherwise read a trailing `:group` of IPv6 as a port. */
export function bracketed(address: string, field: string): string {
  return isIP(checkIp(address, field)) === 6 ? `[${address}]` : address;
}

export function checkCidr(value: string, field: string): string {
  if (cidrFamily(value) === 0) refuse(field, 'must be a CIDR');
  return value;
}
