// Fulcrum's own API keys: created (the key is returned once, only its SHA-256 digest is
// stored — a key carries 256 random bits, so a slow hash adds nothing), listed, revoked, and
// looked up by the digest of a presented key.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import { InvalidInput } from '../errors.ts';

export interface ApiKeyRecord {
  id: string;
  name: string;
  description: string;
  projectId: string;
  roles: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface NewApiKey {
  projectId: string;
  roles: string[];
  name?: string;
  description?: string;
}

/** Recognisable in logs and secret scanners; the rest is 32 random bytes. */
const KEY_PREFIX = 'fulcrum_';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Checks a new key's fields; returns them normalised (roles trimmed, de-duplicated). */
export function validateNewApiKey(input: NewApiKey): Required<NewApiKey> {
  const problems: string[] = [];
  if (!/^[^\s]{1,36}$/.test(input.projectId)) problems.push('the project must be 1 to 36 characters without spaces');
  const roles = [...new Set(input.roles.map((r) => r.trim()))];
  if (roles.length === 0) problems.push('at least one role is required');
  for (const role of roles) if (!/^[^\s,]{1,255}$/.test(role)) problems.push(`role ${JSON.stringify(role)} must be 1 to 255 characters without spaces or commas`);
  const name = input.name ?? '';
  const description = input.description ?? '';
  if (name.length > 255) problems.push('the name must be at most 255 characters');
  if (description.length > 255) problems.push('the description must be at most 255 characters');
  if (problems.length) throw new InvalidInput(`Invalid API key: ${problems.join('; ')}.`);
  return { projectId: input.projectId, roles, name, description };
}

type Row = {
  id: string;
  name: string;
  description: string;
  project_id: string;
  roles: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
};

function toRecord(row: Row): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    projectId: row.project_id,
    roles: row.roles,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

const COLUMNS = ['id', 'name', 'description', 'project_id', 'roles', 'created_at', 'last_used_at', 'revoked_at'] as const;

export async function createApiKey(db: Db, input: NewApiKey): Promise<{ key: string; record: ApiKeyRecord }> {
  const fields = validateNewApiKey(input);
  const key = generateApiKey();
  const row = await db
    .insertInto('api_key')
    .values({
      id: randomUUID(),
      key_hash: hashApiKey(key),
      name: fields.name,
      description: fields.description,
      project_id: fields.projectId,
      roles: JSON.stringify(fields.roles),
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return { key, record: toRecord(row) };
}

export async function listApiKeys(db: Db): Promise<ApiKeyRecord[]> {
  const rows = await db.selectFrom('api_key').select(COLUMNS).orderBy('created_at').orderBy('id').execute();
  return rows.map(toRecord);
}

/** Revokes a key at once; false when there is no such (unrevoked) key. */
export async function revokeApiKey(db: Db, id: string): Promise<boolean> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return false;
  const res = await db
    .updateTable('api_key')
    .set({ revoked_at: new Date() })
    .where('id', '=', id.toLowerCase())
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return res.numUpdatedRows > 0n;
}

/** The unrevoked key `key` is, or null. */
export async function findActiveApiKey(db: Db, key: string): Promise<ApiKeyRecord | null> {
  const row = await db
    .selectFrom('api_key')
    .select(COLUMNS)
    .where('key_hash', '=', hashApiKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row ? toRecord(row) : null;
}

export async function markApiKeyUsed(db: Db, id: string, at: Date): Promise<void> {
  await db.updateTable('api_key').set({ last_used_at: at }).where('id', '=', id).execute();
}
