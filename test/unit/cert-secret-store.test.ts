// Sealing certificates at rest: AES-256-GCM envelopes bound to their row and key, and where the
// key comes from (configuration, or a 0600 key file generated in the data directory).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKeyFile, SecretStore, secretStoreFor, SECRET_KEY_FILE } from '../../src/certs/secret-store.ts';
import { loadConfig } from '../../src/config.ts';

const PEM = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';

function withDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-secret-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('SecretStore', () => {
  const store = new SecretStore(randomBytes(32));

  test('seal → open gives the text back; the sealed form shows none of it and differs every time', () => {
    const a = store.seal(PEM, 'certificate:1');
    const b = store.seal(PEM, 'certificate:1');
    assert.notEqual(a, b, 'fresh data key and IVs per seal');
    assert.ok(!a.includes('PRIVATE') && !a.includes('MIGHAgEA'));
    assert.match(a, new RegExp(`^fulcrum-sealed-v1\\.${store.keyId}\\.`));
    assert.equal(store.open(a, 'certificate:1'), PEM);
  });

  test('a sealed value opens only for its own context (row) and key, untampered', () => {
    const sealed = store.seal(PEM, 'certificate:1');
    assert.throws(() => store.open(sealed, 'certificate:2'), /integrity check/);
    const other = new SecretStore(randomBytes(32));
    assert.throws(() => other.open(sealed, 'certificate:1'), /sealed with another secret key/);
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3], 'base64url');
    body[body.length - 1] ^= 1;
    parts[3] = body.toString('base64url');
    assert.throws(() => store.open(parts.join('.'), 'certificate:1'), /integrity check/);
    assert.throws(() => store.open('plain text', 'certificate:1'), /not in a format/);
  });

  test('the key file is generated 0600 once, reused, and refused when others can read it', () => {
    withDir((dir) => {
      const key = loadKeyFile(join(dir, 'data'));
      const path = join(dir, 'data', SECRET_KEY_FILE);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(key.length, 32);
      assert.deepEqual(loadKeyFile(join(dir, 'data')), key, 'the same key on the next start');
      assert.equal(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64').length, 32);
      chmodSync(path, 0o644);
      assert.throws(() => loadKeyFile(join(dir, 'data')), /readable by others/);
    });
  });

  test('a configured key wins over the key file, and is validated at start', () => {
    withDir((dir) => {
      const hex = randomBytes(32).toString('hex');
      const fromConfig = secretStoreFor({ secretKey: hex, dataDir: dir });
      assert.equal(fromConfig.keyId, new SecretStore(Buffer.from(hex, 'hex')).keyId);
      assert.throws(() => statSync(join(dir, SECRET_KEY_FILE)), /ENOENT/, 'no key file when a key is configured');
      const fromFile = secretStoreFor({ secretKey: null, dataDir: dir });
      assert.notEqual(fromFile.keyId, fromConfig.keyId);
      assert.equal(secretStoreFor({ secretKey: null, dataDir: dir }), fromFile, 'one store per key source');
    });
    const b64 = randomBytes(32).toString('base64');
    assert.equal(loadConfig({ FULCRUM_SECRET_KEY: b64 }).secretKey, b64);
    assert.throws(() => loadConfig({ FULCRUM_SECRET_KEY: 'short' }), /FULCRUM_SECRET_KEY must be 32 bytes/);
    assert.throws(() => loadConfig({ FULCRUM_SECRET_KEY: randomBytes(16).toString('hex') }), /FULCRUM_SECRET_KEY must be 32 bytes/);
  });
});
