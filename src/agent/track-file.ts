// keepalived's `track_file` for an amphora (weight 0: any non-zero value means FAULT). keepalived
// watches it with inotify, so a rename is seen at once and it never reads a half-written file.
import { rename, writeFile } from 'node:fs/promises';

export async function writeTrackFile(path: string, fault: boolean): Promise<void> {
  await writeFile(`${path}.tmp`, fault ? '1\n' : '0\n', { mode: 0o644 });
  await rename(`${path}.tmp`, path);
}
