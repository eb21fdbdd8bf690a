// Where and how the agent sends heartbeats, as the controller last set it (PUT /1.0/heartbeat).
// Kept in a file (0600, it holds the HMAC key), so a restarted agent resumes sending at once,
// before any controller call.
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';

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

/** Names the settings without revealing the key: the controller compares it to decide whether to push. */
export function settingsDigest(settings: HeartbeatSettings): string {
  const canonical = JSON.stringify([settings.key_id, settings.key, settings.targets.map((t) => [t.host, t.port]), settings.interval_ms]);
  return createHash('sha256').update(canonical).digest('hex');
}

export async function loadSettings(path: string): Promise<HeartbeatSettings | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as HeartbeatSettings;
  } catch {
    return null;
  }
}

export async function saveSettings(path: string, settings: HeartbeatSettings): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(settings) + '\n', { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}
