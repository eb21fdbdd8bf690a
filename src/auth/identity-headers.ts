// The checks a credential header passes before it is believed or sent anywhere. Node joins a
// repeated header into "a, b" and reads bytes above 0x7f as latin-1, so both are judged on the
// raw header list. Pure.
import { LIMITS } from '../model/enums.ts';

/** A raw header list from parsed headers, for callers that hold only those (a repeat is lost). */
export function rawHeadersOf(headers: Record<string, string | string[] | undefined>): string[] {
  return Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [value].flat().flatMap((v) => [name, v])));
}

/** Every value of header `name` (lower case) in a request's raw header list. */
export function headerValues(rawHeaders: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === name) values.push(rawHeaders[i + 1]);
  return values;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The project a noauth caller names in X-Project-Id (or X-Tenant-Id), held to the rule of a
 * body project_id (at most 36 characters) and to printable ASCII; null when none is given.
 * Throws a string: what is wrong, for a 400.
 */
export function projectFromHeaders(rawHeaders: readonly string[]): string | null {
  let project: string | null = null;
  for (const name of ['x-project-id', 'x-tenant-id']) {
    const values = headerValues(rawHeaders, name).map((v) => v.trim());
    if (values.length > 1) throw `the ${name} header is given ${values.length} times`;
    const value = values[0];
    if (value === undefined || value === '') continue;
    if (!PRINTABLE_ASCII.test(value)) throw `the ${name} header holds characters other than printable ASCII`;
    if (value.length > LIMITS.projectId) throw `the ${name} header is longer than ${LIMITS.projectId} characters`;
    if (project !== null && project !== value) throw 'the x-project-id and x-tenant-id headers name different projects';
    project ??= value;
  }
  return project;
}

/** The longest token accepted: room for Keystone's PKI-era tokens; Fernet and JWS are far shorter. */
export const MAX_TOKEN_LENGTH = 8192;
// The characters of Fernet (base64url), JWS (base64url and dots), PKI (base64) and UUID tokens.
const TOKEN_SHAPE = /^[A-Za-z0-9_\-+/=.~]+$/;

/** The one X-Auth-Token of a request, or null when it is missing or cannot be a token. */
export function wellFormedToken(rawHeaders: readonly string[]): string | null {
  const values = headerValues(rawHeaders, 'x-auth-token').map((v) => v.trim());
  if (values.length !== 1) return null;
  const token = values[0];
  return token.length <= MAX_TOKEN_LENGTH && TOKEN_SHAPE.test(token) ? token : null;
}
