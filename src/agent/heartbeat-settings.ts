// Where and how the agent sends heartbeats, as the controller last set it (PUT /1.0/heartbeat).
// Kept in the base directory (0600, it holds the HMAC key), so a restarted agent resumes
// sending at once, before any controller call.
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface HeartbeatTarget {
  host: string;
  port: number;
}

export interface HeartbeatSettings {
  key_id: string;
  /** base64 of the HMAC-SHA256 key. */
  key: string;
  targets: HeartbeatTarget[];
  interval_ms: number;
}

export const HEARTBEAT_FILE = 'heartbeat.json';

/** Names the settings without revealing the key: the controller compares it to decide whether to push. */
export function settingsDigest(settings: HeartbeatSettings): string {
  const canonical = JSON.stringify([settings.key_id, settings.key, settings.targets.map((t) => [t.host, t.port]), settings.interval_ms]);
  return createHash('sha256').update(canonical).digest('hex');
}

export async function loadSettings(baseDir: string): Promise<HeartbeatSettings | null> {
  try {
    return JSON.parse(await readFile(join(baseDir, HEARTBEAT_FILE), 'utf8')) as HeartbeatSettings;
  } catch {
    return null;
  }
}

export async function saveSettings(baseDir: string, settings: HeartbeatSettings): Promise<void> {
  const path = join(baseDir, HEARTBEAT_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(settings) + '\n', { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}
