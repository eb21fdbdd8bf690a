// Test databases on both back ends: an in-memory PGlite started from a migrated template (so
// no test pays for initdb), or a fresh database on the local PostgreSQL server.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { createPglitePool } from '../../src/db/pglite-pool.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

export type Backend = 'pglite' | 'postgres';
export const BACKENDS: Backend[] = ['pglite', 'postgres'];

export const POSTGRES_ADMIN_URL = process.env.FULCRUM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const MIGRATIONS = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url));

function templatePath(): string {
  const hash = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS).sort()) hash.update(f).update(readFileSync(join(MIGRATIONS, f)));
  return join(tmpdir(), `fulcrum-pglite-template-${hash.digest('hex').slice(0, 16)}.tar`);
}

/** A migrated PGlite data directory, built once per machine and migration set. */
export async function pgliteTemplate(): Promise<Blob> {
  const path = templatePath();
  if (!existsSync(path)) {
    const pglite = await PGlite.create();
    const db = new Kysely({ dialect: new PostgresDialect({ pool: createPglitePool(pglite) }) });
    await migrateToLatest(db);
    const dump = await pglite.dumpDataDir('none');
    await db.destroy();
    await pglite.close();
    const tmp = `${path}.${process.pid}.${randomUUID()}`;
    writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    renameSync(tmp, path);
  }
  return new Blob([readFileSync(path)]);
}

/** A fresh, migrated, empty PostgreSQL database; returns its URL and a function to drop it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `fulcrum_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const drop = async () => {
    const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  };
  return { url, drop };
}

export interface TestDatabase {
  database: Database;
  /** The URL other processes can open (PostgreSQL only; PGlite is in-memory here). */
  url: string | null;
  close(): Promise<void>;
}

export async function openTestDatabase(backend: Backend): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const database = await openDatabase('pglite:memory://', { loadDataDir: await pgliteTemplate(), migrate: false });
    return { database, url: null, close: () => database.close() };
  }
  const { url, drop } = await createPostgresDatabase();
  const database = await openDatabase(url, { migrate: true, poolSize: 5 });
  return {
    database,
    url,
    async close() {
      await database.close();
      await drop();
    },
  };
}
