// Remembers Keystone's verdict on a token so that repeated requests with the same token do
// not each cost a round trip. Keys are SHA-256 digests, never the token itself; the cache is
// a bounded LRU (a Map iterates in insertion order, so re-inserting on hit keeps recency).
import { createHash } from 'node:crypto';
import type { AuthContext } from './context.ts';

export interface TokenCacheOptions {
  /** Upper bound on how long a valid token's context is reused. */
  ttlMs: number;
  /** How long a rejected token stays rejected without asking again. */
  negativeTtlMs: number;
  maxEntries: number;
  now?: () => number;
}

interface Entry {
  /** null: Keystone said the token is not valid. */
  context: AuthContext | null;
  expiresAt: number;
}

export type CacheLookup = { hit: true; context: AuthContext | null } | { hit: false };

export function tokenCacheKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly options: TokenCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CacheLookup {
    const entry = this.entries.get(key);
    if (!entry) return { hit: false };
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return { hit: false };
    this.entries.set(key, entry);
    return { hit: true, context: entry.context };
  }

  /** A valid token: kept until the configured TTL or the token's own expiry, whichever is first. */
  putValid(key: string, context: AuthContext, tokenExpiresAt: number): void {
    this.put(key, { context, expiresAt: Math.min(this.now() + this.options.ttlMs, tokenExpiresAt) });
  }

  putInvalid(key: string): void {
    this.put(key, { context: null, expiresAt: this.now() + this.options.negativeTtlMs });
  }

  clear(): void {
    this.entries.clear();
  }

  private put(key: string, entry: Entry): void {
    if (entry.expiresAt <= this.now() || this.options.maxEntries <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
