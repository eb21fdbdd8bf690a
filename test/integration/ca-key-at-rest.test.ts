// The controller CA's private key at rest: sealed under the operator's secret key, so the
// database files of an embedded install hold no usable key; a plaintext key an older Fulcrum
// stored is sealed on the next start.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { openRuntime } from '../../src/runtime.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { controllerCa } from '../../src/pki/ca-store.ts';
import { createCertificateAuthority } from '../../src/pki/certificate-authority.ts';
import { secretStoreFor } from '../../src/certs/secret-store.ts';
import { BACKENDS, openTestDatabase } from '../helpers/db.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

/** What of the PEM's body (its base64 lines, its DER bytes) the files under `dir` contain. */
function findPem(dir: string, pem: string): string[] {
  const lines = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  const der = Buffer.from(lines.join(''), 'base64');
  const found: string[] = [];
  for (const file of filesUnder(dir)) {
    const bytes = readFileSync(file);
    if (lines.some((l) => bytes.includes(l)) || bytes.includes(der)) found.push(file);
  }
  return found;
}

describe('the controller CA key in an embedded install', () => {
  test('the database files hold the CA certificate but not its private key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-ca-at-rest-'));
    try {
      const config = loadConfig({}, { dataDir, secretKey: null });
      const rt = await openRuntime(config, { migrate: true, log: createLogger('silent') });
      const ca = await controllerCa(rt.database.db, secretStoreFor(config));
      const again = await controllerCa(rt.database.db, secretStoreFor(config));
      assert.equal(again.keyPem, ca.keyPem, 'the stored key opens to the same key');
      await rt.database.close();
      const dbDir = join(dataDir, 'db');
      assert.notDeepEqual(findPem(dbDir, ca.certPem), [], 'the scan finds what the database does store (the certificate)');
      assert.deepEqual(findPem(dbDir, ca.keyPem), []);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a plaintext key an older Fulcrum stored is sealed on start and gone from the table files', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-ca-upgrade-'));
    try {
      const old = await createCertificateAuthority({ commonName: 'Fulcrum amphora-agents CA' });
      const url = `pglite:${join(dataDir, 'db')}`;
      const before = await openDatabase(url);
      await before.db.insertInto('certificate_authority').values({ name: 'amphora-agents', cert_pem: old.certPem, key_pem: old.keyPem }).execute();
      await before.close();
      assert.notDeepEqual(findPem(join(dataDir, 'db'), old.keyPem), [], 'the older install holds the key in plaintext');

      const config = loadConfig({}, { dataDir, secretKey: null });
      const rt = await openRuntime(config, { migrate: true, log: createLogger('silent') });
      const row = await rt.database.db.selectFrom('certificate_authority').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.key_pem, null);
      assert.match(row.key_sealed ?? '', /^fulcrum-sealed-v1\./);
      const ca = await controllerCa(rt.database.db, secretStoreFor(config));
      assert.equal(ca.keyPem, old.keyPem, 'the same CA goes on: agents keep trusting it');
      await rt.database.close();
      // The write-ahead log written before the upgrade keeps its copy until PostgreSQL recycles it.
      const tableFiles = join(dataDir, 'db', 'pgdata', 'base');
      assert.deepEqual(findPem(tableFiles, old.keyPem), []);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

for (const backend of BACKENDS) {
  test(`a sealed CA key does not open under another secret key (${backend})`, async () => {
    const testDb = await openTestDatabase(backend);
    try {
      const store = secretStoreFor({ secretKey: 'a'.repeat(64), dataDir: '/nonexistent' });
      const ca = await controllerCa(testDb.database.db, store);
      const row = await testDb.database.db.selectFrom('certificate_authority').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.key_pem, null);
      assert.ok(!row.key_sealed!.includes(ca.keyPem.split('\n')[1]));
      const other = secretStoreFor({ secretKey: 'b'.repeat(64), dataDir: '/nonexistent' });
      await assert.rejects(controllerCa(testDb.database.db, other), /sealed with another secret key/);
    } finally {
      await testDb.close();
    }
  });
}
