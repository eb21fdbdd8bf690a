// pg.Pool over an in-process PGlite. PGlite's node-postgres adapter hands out ONE shared
// connection; pg-pool's habit of destroying a client after an error would leave every later
// query on a dead connection (and wrong empty results), so the pool never destroys it.
// Every statement passes this one connection, so the pool also keeps the data version: a
// counter that moves whenever a statement changed stored data (readers cache by it).
import pg from 'pg';
import { changesData, type StatementResult } from './data-version.ts';
import type { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => unknown;

export class PglitePool extends pg.Pool {
  #dataVersion = 0;
  readonly #watched = new WeakSet<object>();

  /** Moves (only) when a statement changed stored data; transactions hold the one connection, so no read sees a write half done. */
  get dataVersion(): number {
    return this.#dataVersion;
  }

  #note(query: unknown, result: unknown): void {
    const text = typeof query === 'string' ? query : String((query as { text?: unknown } | null)?.text ?? '');
    const results = (Array.isArray(result) ? result : [result]) as StatementResult[];
    if (results.some((r) => changesData(text, r ?? {}))) this.#dataVersion++;
  }

  /** Wraps the shared client's query once, to see every statement's result. */
  #watch(client: pg.PoolClient): void {
    if (this.#watched.has(client)) return;
    this.#watched.add(client);
    const query = client.query as unknown as AnyFn;
    const note = (q: unknown, r: unknown) => this.#note(q, r);
    const bump = () => this.#dataVersion++;
    (client as unknown as { query: AnyFn }).query = function (this: unknown, ...args: unknown[]) {
      const cb = args.at(-1);
      if (typeof cb === 'function') {
        args[args.length - 1] = (err: unknown, res: unknown) => {
          if (!err) note(args[0], res);
          (cb as AnyFn)(err, res);
        };
        return query.apply(client, args);
      }
      const out = query.apply(client, args) as { then?: unknown } | undefined;
      if (out && typeof out.then === 'function') return (out as Promise<unknown>).then((res) => {
          note(args[0], res);
          return res;
        });
      // A streamed query (cursor): its effect is unknown here.
      bump();
      return out;
    };
  }

  // pg.Pool's connect is overloaded (promise or callback); both forms are kept.
  override connect(cb?: AnyFn): any {
    const guard = (client: pg.PoolClient): pg.PoolClient => {
      this.#watch(client);
      const release = client.release;
      client.release = () => release.call(client);
      return client;
    };
    if (cb) {
      super.connect((err, client, done) => (client ? cb(err, guard(client), () => client.release()) : cb(err, client, done)));
      return undefined;
    }
    return super.connect().then(guard);
  }

  // pool.query would call release(err) on an SQL error and so destroy the shared connection.
  override query(...args: unknown[]): never {
    if (typeof args.at(-1) === 'function') return (super.query as unknown as AnyFn).apply(this, args) as never;
    return this.connect().then(async (client: pg.PoolClient) => {
      try {
        return await (client.query as unknown as AnyFn).apply(client, args);
      } finally {
        client.release();
      }
    }) as never;
  }
}

export function createPglitePool(pglite: PGlite): PglitePool {
  const config = createPgConfig(pglite);
  // pg passes a non-array `types` object that PGlite's serializer would call forEach on.
  const parse = config.connection.parse.bind(config.connection);
  config.connection.parse = (query: { types?: unknown }) => parse({ ...query, types: Array.isArray(query.types) ? query.types : undefined });
  return new PglitePool({ ...(config as unknown as pg.PoolConfig), max: 1, idleTimeoutMillis: 0 });
}
