// pg.Pool over an in-process PGlite. PGlite's node-postgres adapter hands out ONE shared
// connection; pg-pool's habit of destroying a client after an error would leave every later
// query on a dead connection (and wrong empty results), so the pool never destroys it.
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => unknown;

export class PglitePool extends pg.Pool {
  // pg.Pool's connect is overloaded (promise or callback); both forms are kept.
  override connect(cb?: AnyFn): any {
    const guard = (client: pg.PoolClient): pg.PoolClient => {
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
