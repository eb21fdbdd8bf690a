import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadConfig } from '../../src/config.ts';

test('defaults', () => {
  const c = loadConfig({});
  assert.equal(c.apiHost, '127.0.0.1');
  assert.equal(c.apiPort, 9876);
  assert.equal(c.databaseUrl, null);
  assert.equal(c.defaultProvider, 'amphora');
  assert.equal(c.networkDriver, 'local');
  assert.equal(c.computeDriver, 'process');
  assert.match(c.dataDir, /\.fulcrum$/);
});

test('environment variables override the file, which overrides defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-config-'));
  try {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ apiBind: '127.0.0.2:7000', paginationMaxLimit: 50, logLevel: 'warn' }));
    const c = loadConfig({ FULCRUM_CONFIG_FILE: file, FULCRUM_PAGINATION_MAX_LIMIT: '20', FULCRUM_DATABASE_URL: 'postgres://u@h/db' });
    assert.equal(c.apiHost, '127.0.0.2');
    assert.equal(c.apiPort, 7000);
    assert.equal(c.paginationMaxLimit, 20);
    assert.equal(c.logLevel, 'warn');
    assert.equal(c.databaseUrl, 'postgres://u@h/db');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every bad value is reported with its name', () => {
  assert.throws(
    () =>
      loadConfig({
        FULCRUM_API_BIND: 'nocolon',
        FULCRUM_DATABASE_URL: 'mysql://x',
        FULCRUM_JOB_LEASE_MS: 'soon',
        FULCRUM_AUTH_STRATEGY: 'magic',
      }),
    (err: Error) => {
      for (const name of ['FULCRUM_API_BIND', 'FULCRUM_DATABASE_URL', 'FULCRUM_JOB_LEASE_MS', 'FULCRUM_AUTH_STRATEGY']) assert.match(err.message, new RegExp(name));
      return true;
    },
  );
  assert.throws(() => loadConfig({ FULCRUM_ENABLED_PROVIDERS: 'noop' }), /not in FULCRUM_ENABLED_PROVIDERS/);
});

test('an unknown key in the file is an error, not silently ignored', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-config-'));
  try {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ apiPrt: 1 }));
    assert.throws(() => loadConfig({ FULCRUM_CONFIG_FILE: file }), /unknown setting "apiPrt"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
