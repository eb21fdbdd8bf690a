// `apikey`: the caller presents one of Fulcrum's own keys (`fulcrum apikey create`), as
// `X-Auth-Token: <key>` (so OpenStack clients configured with a token work unchanged) or
// `Authorization: Bearer <key>`. The key's project and roles become the AuthContext.
import type { IncomingHttpHeaders } from 'node:http';
import type { Db } from '../db/database.ts';
import { Unauthorized } from '../errors.ts';
import type { Authenticator } from './authenticator.ts';
import type { AuthContext } from './context.ts';
import { findActiveApiKey, markApiKeyUsed } from './apikey-store.ts';

/** last_used_at is a hint for operators, not an audit log: written at most this often per key. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Keystone's default role implications (admin ⇒ member ⇒ reader), so keys behave like tokens. */
const IMPLIED_ROLES: Record<string, string[]> = { admin: ['member', 'reader'], member: ['reader'] };

export function withImpliedRoles(roles: string[]): string[] {
  const out = new Set(roles);
  for (const role of roles) for (const implied of IMPLIED_ROLES[role.toLowerCase()] ?? []) out.add(implied);
  return [...out];
}

/** The key a request presents, or null. */
export function presentedKey(headers: IncomingHttpHeaders): string | null {
  const token = headers['x-auth-token'];
  if (typeof token === 'string' && token.trim() !== '') return token.trim();
  const authorization = headers.authorization;
  const bearer = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return bearer ? bearer[1] : null;
}

export function createApiKeyAuthenticator(db: Db): Authenticator {
  return {
    challenge: 'Bearer realm="fulcrum"',
    async authenticate(headers: IncomingHttpHeaders): Promise<AuthContext> {
      const key = presentedKey(headers);
      if (!key) throw new Unauthorized();
      const record = await findActiveApiKey(db, key);
      if (!record) throw new Unauthorized();
      const now = new Date();
      if (!record.lastUsedAt || now.getTime() - record.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
        await markApiKeyUsed(db, record.id, now);
      }
      return { projectId: record.projectId, roles: withImpliedRoles(record.roles), isAdmin: false };
    },
  };
}
