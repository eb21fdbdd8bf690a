// Traffic from chosen loopback source addresses (127.0.0.71 an attacker, 127.0.0.72 a legitimate
// client, …), for protection tests and the protection benchmark: paced request loops, held-open
// connections and slowloris clients. Every loop is bounded by a count and a deadline.
import http from 'node:http';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Outcome {
  /** HTTP status, or 0 when the connection was refused, reset or timed out. */
  status: number;
  retryAfter: string | null;
  latencyMs: number;
  error?: string;
}

/** One GET on a new connection from `source`. */
export function getFrom(url: string, source: string, timeoutMs = 3000): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const done = (o: Omit<Outcome, 'latencyMs'>) => resolve({ ...o, latencyMs: performance.now() - started });
    const req = http.get(url, { agent: false, localAddress: source, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => done({ status: res.statusCode ?? 0, retryAfter: (res.headers['retry-after'] as string | undefined) ?? null }));
      res.on('error', (err) => done({ status: 0, retryAfter: null, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => done({ status: 0, retryAfter: null, error: (err as NodeJS.ErrnoException).code ?? err.message }));
  });
}

/**
 * Calls `fn` `rate` times a second for `durationMs` (open loop: a slow answer does not slow the
 * sender), with at most `maxInFlight` outstanding; a call that would exceed it is skipped and
 * counted. Returns every outcome in start order.
 */
export async function paced<T>(rate: number, durationMs: number, maxInFlight: number, fn: () => Promise<T>): Promise<{ results: T[]; skipped: number; elapsedMs: number }> {
  const total = Math.round((rate * durationMs) / 1000);
  const interval = 1000 / rate;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  const results: T[] = [];
  let inFlight = 0;
  let skipped = 0;
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    if (inFlight >= maxInFlight) {
      skipped++;
      continue;
    }
    inFlight++;
    const index = results.length;
    results.push(undefined as T);
    pending.push(
      fn().then((r) => {
        results[index] = r;
        inFlight--;
      }),
    );
  }
  await Promise.all(pending);
  return { results, skipped, elapsedMs: performance.now() - started };
}

export interface HeldConnection {
  socket: Socket;
  /** When the server closed it (ms since it was opened), or null while open. */
  closedAfterMs: number | null;
  /** The first bytes the server sent, if any (a 408 for a request it gave up on). */
  received: string;
}

/** Opens `count` connections from `source` and keeps them; the caller ends them with `destroyAll`. */
export async function holdConnections(host: string, port: number, source: string, count: number): Promise<HeldConnection[]> {
  const held: HeldConnection[] = [];
  await Promise.all(
    Array.from({ length: count }, () => {
      const opened = performance.now();
      const socket = connect({ host, port, localAddress: source });
      const c: HeldConnection = { socket, closedAfterMs: null, received: '' };
      held.push(c);
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => {
        if (c.received.length < 200) c.received += d;
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        c.closedAfterMs = performance.now() - opened;
      });
      return new Promise<void>((resolve) => {
        socket.once('connect', () => resolve());
        socket.once('close', () => resolve());
      });
    }),
  );
  return held;
}

/**
 * Slowloris: every connection of `held` sends a request line, then one header byte every
 * `intervalMs`, never finishing its headers, until the server closes it or `maxMs` passes.
 */
export async function trickle(held: HeldConnection[], intervalMs: number, maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  for (const c of held) if (c.closedAfterMs === null) c.socket.write('GET / HTTP/1.1\r\nHost: slow\r\nX-a: ');
  while (performance.now() < deadline && held.some((c) => c.closedAfterMs === null)) {
    await sleep(intervalMs);
    for (const c of held) if (c.closedAfterMs === null && !c.socket.destroyed) c.socket.write('a');
  }
}

export function destroyAll(held: HeldConnection[]): void {
  for (const c of held) c.socket.destroy();
}

/** Waits until `check` holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
