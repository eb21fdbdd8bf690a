// Directories and files only the owner may read: the data dir (database, sealing key), the
// agent's PKI. `mkdir`/`writeFile` apply their mode only when they create, so an existing
// entry is chmod-ed as well: a data dir made by an earlier version (or by hand, with the
// default umask) is tightened on the next start.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(path, PRIVATE_DIR_MODE);
}

export function writePrivateFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: PRIVATE_FILE_MODE });
  chmodSync(path, PRIVATE_FILE_MODE);
}
