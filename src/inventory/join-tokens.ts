// One-time tokens a new host joins with. The token itself is shown once, to the operator who
// asked for it; the database keeps only its SHA-256 digest, so reading the database does not
// let anyone join a host. A token is spent by the join that uses it, in the transaction that
// registers the host, so two joins racing with one token cannot both succeed.
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

const PREFIX = 'fjt_';
export const DEFAULT_TOKEN_TTL_S = 900;
export const MAX_TOKEN_TTL_S = 86_400;

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function createJoinToken(db: Db, ttlSeconds = DEFAULT_TOKEN_TTL_S): Promise<{ token: string; expiresAt: Date }> {
  const token = PREFIX + randomBytes(32).toString('base64url');
  const row = await db
    .insertInto('host_join_token')
    .values({ digest: tokenDigest(token), expires_at: sql<Date>`now() + make_interval(secs => ${ttlSeconds})` })
    .returning('expires_at')
    .executeTakeFirstOrThrow();
  return { token, expiresAt: new Date(row.expires_at) };
}

export type TokenVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Locks the token's row for the caller's transaction and says whether it may be spent. Every
 * refusal names its cause (never issued, used, expired): the operator then knows whether to ask
 * for a new token or to look for someone replaying an old one.
 */
export async function lockJoinToken(trx: Db, token: string): Promise<TokenVerdict> {
  if (!token.startsWith(PREFIX)) return { ok: false, reason: 'the join token is not a Fulcrum join token' };
  const row = await sql<{ used_at: Date | null; host_id: string | null; expired: boolean }>`
    select used_at, host_id, expires_at <= now() as expired from host_join_token where digest = ${tokenDigest(token)} for update`.execute(trx);
  const t = row.rows[0];
  if (!t) return { ok: false, reason: 'the join token was never issued by this controller (mistyped or forged)' };
  if (t.used_at) return { ok: false, reason: `the join token was used already (by host ${t.host_id ?? 'unknown'}); ask for a new one` };
  if (t.expired) return { ok: false, reason: 'the join token has expired; ask for a new one' };
  return { ok: true };
}

export async function spendJoinToken(trx: Db, token: string, hostId: string): Promise<void> {
  await trx.updateTable('host_join_token').set({ used_at: sql<Date>`now()`, host_id: hostId }).where('digest', '=', tokenDigest(token)).execute();
}
