// Keeps the plain-text logs of an agent's host bounded: its own log and each amphora's haproxy
// and keepalived output (the administrative logs). Other processes hold those files open for
// appending, so they are rotated by copying and truncating: the tail goes to `<file>.1` and the
// file is cut to zero in place; writers opened with O_APPEND carry on at the new end. Lines
// written between the copy and the cut are lost, the usual price of copytruncate.
import { appendFileSync, closeSync, openSync, readSync, statSync, truncateSync, writeFileSync } from 'node:fs';

/** Rotates `path` when it is larger than `maxBytes`; the kept tail is half of that. Returns whether it did. */
export function truncateIfOver(path: string, maxBytes: number): boolean {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return false;
  }
  if (size <= maxBytes) return false;
  const keep = Math.floor(maxBytes / 2);
  const fd = openSync(path, 'r');
  try {
    const tail = Buffer.alloc(keep);
    const read = readSync(fd, tail, 0, keep, size - keep);
    // Start the kept part at a line boundary.
    const firstBreak = tail.subarray(0, read).indexOf(0x0a);
    writeFileSync(`${path}.1`, tail.subarray(firstBreak === -1 ? 0 : firstBreak + 1, read), { mode: 0o600 });
  } finally {
    closeSync(fd);
  }
  truncateSync(path, 0);
  return true;
}

/** A text log the agent writes itself, bounded the same way (append, then rotate by size). */
export class BoundedTextLog {
  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
  ) {}

  append(line: string): void {
    appendFileSync(this.path, `${line}\n`, { mode: 0o600 });
    truncateIfOver(this.path, this.maxBytes);
  }
}
