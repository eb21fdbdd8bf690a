// What the heartbeat receiver checks a datagram against: each agent's HMAC key (sealed in the
// database, issued on first use) and, against replays, the highest sequence stored per amphora.
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { SecretStore } from '../certs/secret-store.ts';

export interface AgentKey {
  keyId: string;
  agentUrl: string;
  key: Buffer;
}

const keyContext = (keyId: string) => `heartbeat_key:${keyId}`;

/** The agent's heartbeat key, issued on first use; two managers issuing at once agree on one. */
export async function ensureAgentKey(db: Db, store: SecretStore, agentUrl: string): Promise<AgentKey> {
  const existing = await db.selectFrom('heartbeat_key').selectAll().where('agent_url', '=', agentUrl).executeTakeFirst();
  if (!existing) {
    const keyId = randomBytes(12).toString('hex');
    const secret = store.seal(randomBytes(32).toString('base64'), keyContext(keyId));
    await db.insertInto('heartbeat_key').values({ key_id: keyId, agent_url: agentUrl, secret }).onConflict((oc) => oc.column('agent_url').doNothing()).execute();
  }
  const row = await db.selectFrom('heartbeat_key').selectAll().where('agent_url', '=', agentUrl).executeTakeFirstOrThrow();
  return { keyId: row.key_id, agentUrl: row.agent_url, key: Buffer.from(store.open(row.secret, keyContext(row.key_id)), 'base64') };
}

export async function loadAgentKeys(db: Db, store: SecretStore): Promise<Map<string, AgentKey>> {
  const rows = await db.selectFrom('heartbeat_key').selectAll().execute();
  return new Map(rows.map((r) => [r.key_id, { keyId: r.key_id, agentUrl: r.agent_url, key: Buffer.from(store.open(r.secret, keyContext(r.key_id)), 'base64') }]));
}

export interface KnownAmphora {
  agentUrl: string | null;
  /** The highest sequence any health manager stored for it. */
  lastSeq: number;
}

export async function knownAmphorae(db: Db): Promise<Map<string, KnownAmphora>> {
  const rows = await db
    .selectFrom('amphora')
    .leftJoin('amphora_health', 'amphora_health.amphora_id', 'amphora.id')
    .select(['amphora.id', 'amphora.agent_url', 'amphora_health.last_seq'])
    .where('amphora.status', '<>', 'DELETED')
    .execute();
  return new Map(rows.map((r) => [r.id, { agentUrl: r.agent_url, lastSeq: Number(r.last_seq ?? 0) }]));
}
