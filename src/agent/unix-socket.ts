// One request on a haproxy CLI socket (the master CLI or a stats socket): connect, send one
// line, read until haproxy closes the connection, which it does after answering in
// non-interactive mode. A connection per command costs ~77 µs (docs/dataplane.md §4) and keeps each
// answer unambiguous.
import { createConnection } from 'node:net';

export function socketRequest(path: string, line: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = createConnection({ path });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${path} within ${timeoutMs} ms`)));
    socket.on('connect', () => socket.end(`${line}\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', (hadError) => {
      if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
