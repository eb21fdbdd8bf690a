// One entry point for both back ends: `openDatabase(url)` gives a Kysely instance over a
// pg.Pool, for PostgreSQL (`postgres://…`) or the embedded PGlite (`pglite:<dir>` or
// `pglite:memory://`). The only other per-backend difference is LISTEN.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { PGlite } from '@electric-sql/pglite';
import { lockEmbeddedDir } from './embedded-lock.ts';
import { createPglitePool } from './pglite-pool.ts';
import { PgListener, type ListenerLog } from './pg-listener.ts';
import { migrateToLatest } from './migrate.ts';
import type { Schema } from './schema.ts';
import { ConfigError } from '../errors.ts';

export type Db = Kysely<Schema>;

export interface Database {
  kind: 'pglite' | 'postgres';
  db: Db;
  /**
   * Calls `onNotify` for each NOTIFY on `channel` until the returned function is called, and
   * once with '' after a lost connection is re-established (notifications in between are lost).
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * The embedded database only (this process is its one writer): a number that changes
   * whenever stored data changed, so a reader may reuse what it read at the same number.
   * Absent for PostgreSQL, where other processes write.
   */
  dataVersion?(): number;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Apply pending migrations (the embedded mode always does). */
  migrate?: boolean;
  /** A dump from `PGlite.dumpDataDir()` to start an in-memory database from (test fixtures). */
  loadDataDir?: Blob;
  poolSize?: number;
  /** How old the embedded dir's lock must be before a new process may take it over after a crash. */
  lockStaleMs?: number;
  /** PostgreSQL: how long opening a connection may take before it fails. */
  connectTimeoutMs?: number;
  /** PostgreSQL: the server's statement_timeout for every pooled connection (unset or 0: none). */
  statementTimeoutMs?: number;
  /** Where the LISTEN connection reports losing and regaining the server. */
  log?: ListenerLog;
}

// PostgreSQL hands back bigint and numeric as strings; our bigints are job ids, fine as
// strings, but REAL columns must come back as numbers.
pg.types.setTypeParser(pg.types.builtins.FLOAT4, (v) => Number(v));

export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database> {
  const database = url.startsWith('pglite:') ? await openPglite(url.slice('pglite:'.length), options) : openPostgres(url, options);
  if (options.migrate ?? database.kind === 'pglite') await migrateToLatest(database.db);
  return database;
}

function openPostgres(url: string, options: OpenOptions): Database {
  const connectionTimeoutMillis = options.connectTimeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis,
    // A statement stuck on a lock or a dead server fails instead of holding its caller forever.
    statement_timeout: options.statementTimeoutMs || undefined,
  });
  // An idle client lost its server connection; the pool replaces it on the next checkout.
  pool.on('error', (err) => options.log?.warn({ err: err.message }, 'an idle database connection was lost; the pool opens a new one when needed'));
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'postgres',
    db,
    async listen(channel, onNotify) {
      const listener = new PgListener({ connectionString: url, channel, onNotify, log: options.log, connectTimeoutMs: connectionTimeoutMillis });
      await listener.start();
      return () => listener.close();
    },
    close: () => db.destroy(),
  };
}

async function openPglite(location: string, options: OpenOptions): Promise<Database> {
  let release: (() => Promise<void>) | null = null;
  let pglite: PGlite;
  if (location === 'memory://' || location === '') {
    pglite = await PGlite.create({ loadDataDir: options.loadDataDir });
  } else {
    mkdirSync(location, { recursive: true });
    try {
      release = await lockEmbeddedDir(location, options.lockStaleMs ?? 10_000);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
        throw new ConfigError(`the embedded database in ${location} is in use by another Fulcrum process`);
      }
      throw err;
    }
    pglite = await PGlite.create(join(location, 'pgdata'), { loadDataDir: options.loadDataDir });
  }
  const pool = createPglitePool(pglite);
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'pglite',
    db,
    dataVersion: () => pool.dataVersion,
    async listen(channel, onNotify) {
      // A LISTEN client on the pool would hold its only connection forever.
      const unsubscribe = await pglite.listen(channel, onNotify);
      return async () => {
        await unsubscribe();
      };
    },
    async close() {
      await db.destroy();
      await pglite.close();
      if (release) await release();
    },
  };
}
