// Session persistence rules (docs/octavia-compatibility.md §5.4). Pure.
import { ValidationFailure } from '../errors.ts';
import type { SessionPersistence } from '../db/schema.ts';
import { isDatagramProtocol } from './protocol-rules.ts';

export interface SessionPersistenceInput {
  type?: string;
  cookie_name?: string | null;
  persistence_timeout?: number | null;
  persistence_granularity?: string | null;
}

// RFC 6265 cookie-name: a token (no separators, whitespace or control characters).
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Validates a requested persistence against the pool protocol and returns what to store.
 * `existing` is the stored value on update: a PUT may leave out `type` to keep the old one.
 */
export function resolveSessionPersistence(
  input: SessionPersistenceInput | null,
  poolProtocol: string,
  existing: SessionPersistence | null = null,
): SessionPersistence | null {
  if (input === null) return null;
  const type = input.type ?? existing?.type;
  if (!type) throw new ValidationFailure('Session persistence type is required.');
  const merged: SessionPersistence = {
    type,
    cookie_name: input.cookie_name !== undefined ? input.cookie_name : input.type ? null : (existing?.cookie_name ?? null),
    persistence_timeout: input.persistence_timeout ?? null,
    persistence_granularity: input.persistence_granularity ?? null,
  };
  if (merged.cookie_name !== null && type !== 'APP_COOKIE') {
    throw new ValidationFailure('Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".');
  }
  if (type === 'APP_COOKIE') {
    if (!merged.cookie_name) throw new ValidationFailure('Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.');
    if (!COOKIE_NAME.test(merged.cookie_name)) {
      throw new ValidationFailure('"cookie_name" is not a valid cookie name: it may not contain whitespace, separators or control characters.');
    }
  }
  const datagram = isDatagramProtocol(poolProtocol);
  if ((merged.persistence_timeout !== null || merged.persistence_granularity !== null) && !datagram) {
    throw new ValidationFailure('persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.');
  }
  if (datagram && type !== 'SOURCE_IP') {
    throw new ValidationFailure(`Session persistence of type ${type} is not supported for ${poolProtocol} protocol pools.`);
  }
  return merged;
}
