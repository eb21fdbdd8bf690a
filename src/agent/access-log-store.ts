// One amphora's access log on disk, bounded in size and in age: two files in its run directory,
// the current one and the previous one. The current file is renamed over the previous one when
// it reaches half the byte limit or when its first line reaches half the retention time, and the
// previous one is deleted once its newest line is older than the retention time; so the log
// never holds more than the limit (plus one write batch) nor, for long, lines older than the
// retention. Lines are JSON, numbered by a sequence that continues across agent restarts,
// which is how a reader asks for "what came after what I have".
//
// Writes are batched: a flood of requests costs one synchronous write per 25 ms, and
// the newest lines are also kept in memory for followers, who ask again every few hundred ms.
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';

export interface AccessLogEntry {
  seq: number;
  /** ISO 8601, from HAProxy's message. */
  time: string;
  listener_id: string;
  message: string;
}

export interface AccessLogLimits {
  /** Both files together. */
  maxBytes: number;
  retentionMs: number;
}

export interface AccessLogQuery {
  /** Entries with a larger sequence number only. */
  afterSeq?: number;
  /** Entries at or after this time only (ms since the epoch). */
  sinceMs?: number;
  /** The newest `limit` of the matching entries. */
  limit: number;
}

/**
 * Lines wait this long for the write that takes them to disk: HAProxy sends one line per
 * packet, so writing per event-loop turn would cost a system call per request. Readers flush
 * first, so they never miss a line; a crash loses at most this much.
 */
const FLUSH_MS = 25;

/** Followers ask for what is newer than their last line; these answer from memory. */
const RECENT = 2000;

interface StoredLine {
  s: number;
  t: string;
  l: string;
  m: string;
}

function toEntry(line: StoredLine): AccessLogEntry {
  return { seq: line.s, time: line.t, listener_id: line.l, message: line.m };
}

function readLines(path: string): AccessLogEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const entries: AccessLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      entries.push(toEntry(JSON.parse(line) as StoredLine));
    } catch {
      // A line cut by a crash mid-write: the others are still good.
    }
  }
  return entries;
}

export class AccessLogStore {
  private fd: number | null = null;
  private size = 0;
  private firstTimeMs: number | null = null;
  private lastTimeMs: number | null = null;
  /** First sequence number of the current file, and the newest time in the previous one. */
  private firstSeq: number | null = null;
  private previousNewestMs: number | null = null;
  private seq = 0;
  private pending: string[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private recent: AccessLogEntry[] = [];
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly path: string,
    private readonly limits: AccessLogLimits,
    private readonly now: () => number = Date.now,
  ) {}

  private get previousPath(): string {
    return `${this.path}.1`;
  }

  /** Opens the files a previous agent left, continuing their sequence, and starts the age sweep. */
  open(): void {
    const previous = readLines(this.previousPath);
    const current = readLines(this.path);
    const existing = [...previous, ...current];
    this.seq = existing.at(-1)?.seq ?? 0;
    this.recent = existing.slice(-RECENT);
    this.firstTimeMs = current.length > 0 ? Date.parse(current[0]!.time) : null;
    this.firstSeq = current[0]?.seq ?? null;
    this.lastTimeMs = existing.length > 0 ? Date.parse(existing.at(-1)!.time) : null;
    this.previousNewestMs = previous.length > 0 ? Date.parse(previous.at(-1)!.time) : null;
    this.fd = openSync(this.path, 'a', 0o600);
    this.size = statSync(this.path).size;
    this.sweep();
    const every = Math.max(1000, Math.min(60_000, Math.floor(this.limits.retentionMs / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  get lastSeq(): number {
    return this.seq;
  }

  append(timeMs: number, listenerId: string, message: string): AccessLogEntry {
    const entry: AccessLogEntry = { seq: ++this.seq, time: new Date(timeMs).toISOString(), listener_id: listenerId, message };
    const line = `${JSON.stringify({ s: entry.seq, t: entry.time, l: entry.listener_id, m: entry.message } satisfies StoredLine)}\n`;
    this.pending.push(line);
    this.pendingBytes += Buffer.byteLength(line);
    this.firstTimeMs ??= timeMs;
    this.firstSeq ??= entry.seq;
    this.lastTimeMs = timeMs;
    this.recent.push(entry);
    if (this.recent.length > RECENT * 2) this.recent = this.recent.slice(-RECENT);
    if (this.pendingBytes >= this.limits.maxBytes / 8) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setTimeout(() => this.flush(), FLUSH_MS).unref();
    }
    return entry;
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0 || this.fd === null) return;
    const chunk = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
    if (this.size > 0 && this.size + chunk.length > this.limits.maxBytes / 2) this.rotate();
    writeSync(this.fd, chunk);
    this.size += chunk.length;
  }

  read(query: AccessLogQuery): AccessLogEntry[] {
    this.flush();
    const oldest = this.now() - this.limits.retentionMs;
    const since = Math.max(oldest, query.sinceMs ?? -Infinity);
    const after = query.afterSeq ?? 0;
    // Memory holds a contiguous tail of the log: enough when the reader's cursor is inside it,
    // or when it asks for no more than the newest lines it holds.
    const fromMemory = this.recent.length > 0 && (after >= this.recent[0]!.seq - 1 || (query.sinceMs === undefined && this.recent.length >= query.limit));
    const source = fromMemory ? this.recent : [...readLines(this.previousPath), ...readLines(this.path)];
    const matching = source.filter((e) => e.seq > after && Date.parse(e.time) >= since);
    return matching.slice(-query.limit);
  }

  /** Bytes on disk, both files (what the size bound is about). */
  diskBytes(): number {
    const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
    return size(this.path) + size(this.previousPath);
  }

  close(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private rotate(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    renameSync(this.path, this.previousPath);
    this.fd = openSync(this.path, 'a', 0o600);
    this.size = 0;
    // What the overwritten previous file held is gone from memory too.
    const kept = this.firstSeq;
    if (kept !== null) this.recent = this.recent.filter((e) => e.seq >= kept);
    this.previousNewestMs = this.lastTimeMs;
    this.firstTimeMs = null;
    this.firstSeq = null;
  }

  /** The time bound: lines past the retention leave the disk within a sweep interval or two. */
  sweep(): void {
    const now = this.now();
    this.flush();
    if (this.firstTimeMs !== null && now - this.firstTimeMs >= this.limits.retentionMs / 2) this.rotate();
    if (this.previousNewestMs !== null && now - this.previousNewestMs >= this.limits.retentionMs) {
      rmSync(this.previousPath, { force: true });
      this.previousNewestMs = null;
    }
    const oldest = now - this.limits.retentionMs;
    this.recent = this.recent.filter((e) => Date.parse(e.time) >= oldest);
  }
}
