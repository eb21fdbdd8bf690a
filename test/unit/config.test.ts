import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname, tmpdir } from 'node:os';
import { loadConfig } from '../../src/config.ts';
import { hostNameOfMachine } from '../../src/model/host-name.ts';

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

test('webhook address ranges and connection logging: defaults, overrides, a bad CIDR named', () => {
  const d = loadConfig({});
  assert.deepEqual(d.webhookDeniedCidrs, ['169.254.0.0/16', 'fe80::/10', '0.0.0.0/8', '::/128']);
  assert.deepEqual(d.webhookAllowedCidrs, []);
  assert.equal(d.connectionLogging, true);
  const c = loadConfig({ FULCRUM_WEBHOOK_DENIED_CIDRS: 'none', FULCRUM_WEBHOOK_ALLOWED_CIDRS: '10.0.0.0/8, fd00::/8', FULCRUM_CONNECTION_LOGGING: 'false' });
  assert.deepEqual(c.webhookDeniedCidrs, []);
  assert.deepEqual(c.webhookAllowedCidrs, ['10.0.0.0/8', 'fd00::/8']);
  assert.equal(c.connectionLogging, false);
  assert.throws(() => loadConfig({ FULCRUM_WEBHOOK_DENIED_CIDRS: '169.254.0.0/16,metadata' }), /FULCRUM_WEBHOOK_DENIED_CIDRS: 'metadata' is not a CIDR/);
  assert.throws(() => loadConfig({ FULCRUM_CONNECTION_LOGGING: 'sometimes' }), /FULCRUM_CONNECTION_LOGGING must be true or false/);
});

test('HAProxy log transport: the pipe by default, the ring when asked, anything else refused', () => {
  assert.equal(loadConfig({}).haproxyLogTransport, 'pipe');
  assert.equal(loadConfig({ FULCRUM_HAPROXY_LOG_TRANSPORT: 'ring' }).haproxyLogTransport, 'ring');
  assert.throws(() => loadConfig({ FULCRUM_HAPROXY_LOG_TRANSPORT: 'udp' }), /FULCRUM_HAPROXY_LOG_TRANSPORT/);
});

test('the host name of the controller\'s agent: the machine\'s name by default, FULCRUM_HOST_NAME, a bad one named', () => {
  assert.equal(loadConfig({}).hostName, hostNameOfMachine(hostname()));
  assert.equal(loadConfig({ FULCRUM_HOST_NAME: 'ctl-2.rack1' }).hostName, 'ctl-2.rack1');
  assert.throws(() => loadConfig({ FULCRUM_HOST_NAME: '-bad name' }), /FULCRUM_HOST_NAME must be letters, digits/);
  assert.equal(hostNameOfMachine('box-1.example.org'), 'box-1.example.org');
  assert.equal(hostNameOfMachine('_weird name!'), 'weird-name-');
  assert.equal(hostNameOfMachine(''), 'local');
});
