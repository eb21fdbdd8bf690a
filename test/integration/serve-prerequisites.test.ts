// `fulcrum serve` checks its host before it starts: with HAProxy hidden from PATH (a PATH
// without /usr/sbin) the default amphora provider stops it with the program's name and the
// command that installs it; the noop provider starts anyway. The default noauth refuses a
// non-loopback address unless chosen explicitly. `fulcrum doctor` reports the same problems.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, stopChild, type Server, runFulcrum } from '../helpers/fulcrum-serve.ts';

/** /usr/bin has node; haproxy, keepalived, ip and sysctl live in /usr/sbin on Debian. */
const PATH_WITHOUT_SBIN = '/usr/bin:/bin';
/** A fresh embedded database takes long to create on a loaded 2-core machine. */
const SLOW_START_MS = 120_000;

const run = runFulcrum;

describe('serve checks its prerequisites', () => {
  const dirs: string[] = [];
  const servers: Server[] = [];
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'fulcrum-prereq-'));
    dirs.push(d);
    return d;
  };
  after(async () => {
    for (const s of servers) await stopChild(s.child, 5000);
    for (const d of [...dirs, ...servers.map((s) => s.dataDir)]) rmSync(d, { recursive: true, force: true });
  });

  test('without haproxy on PATH serve stops, naming haproxy and how to install it', async () => {
    const result = await run(['serve'], { PATH: PATH_WITHOUT_SBIN, FULCRUM_DATA_DIR: dataDir(), FULCRUM_API_BIND: '127.0.0.1:0' });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /^fulcrum: this host lacks what the process compute driver needs:/m);
    assert.match(result.stderr, /haproxy is not installed \(not found on PATH \/usr\/bin:\/bin\)/);
    assert.match(result.stderr, /sudo apt-get install haproxy/);
    assert.doesNotMatch(result.stdout, /Fulcrum API listening/);
  });

  test('the noop provider needs no host programs: serve starts and only warns', async () => {
    const server = await startServe('prereq-noop', { PATH: PATH_WITHOUT_SBIN, FULCRUM_DEFAULT_PROVIDER: 'noop' }, SLOW_START_MS);
    servers.push(server);
    assert.ok(server.url.startsWith('http://127.0.0.1:'));
    const versions = await fetch(server.url + '/');
    assert.equal(versions.status, 200);
    assert.ok(server.log.some((l) => /"program":"haproxy".*haproxy is not installed/.test(l)), 'the missing haproxy is a warning');
  });

  test('doctor fails on the missing haproxy and says what to run', async () => {
    const result = await run(['doctor'], { PATH: PATH_WITHOUT_SBIN, FULCRUM_DATA_DIR: dataDir(), FULCRUM_API_BIND: '127.0.0.1:0' });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /^FAIL {2}haproxy: haproxy is not installed/m);
    assert.match(result.stdout, /→ run "sudo bin\/install-prerequisites"/);
    assert.match(result.stdout, /problem\(s\) to fix/);
  });

  test('doctor passes on this host with the default configuration', async () => {
    const result = await run(['doctor'], { FULCRUM_DATA_DIR: dataDir(), FULCRUM_API_BIND: '127.0.0.1:0', FULCRUM_LOCAL_AGENT_PORT: '1' });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^ok {4}haproxy: haproxy \d+\.\d+/m);
    assert.match(result.stdout, /no problems found|no problems, \d+ warning/);
  });

  test('the default noauth refuses a non-loopback address and says why', async () => {
    const result = await run(['serve'], { FULCRUM_DATA_DIR: dataDir(), FULCRUM_API_BIND: '0.0.0.0:0', FULCRUM_DEFAULT_PROVIDER: 'noop' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /FULCRUM_API_BIND 0\.0\.0\.0:0 is not a loopback address, and the default authentication \(noauth\) makes every caller an administrator/);
    assert.match(result.stderr, /set FULCRUM_AUTH_STRATEGY=noauth explicitly/);
  });

  test('an explicit FULCRUM_AUTH_STRATEGY=noauth may listen on every address', async () => {
    const server = await startServe('prereq-open', { FULCRUM_API_BIND: '0.0.0.0:0', FULCRUM_AUTH_STRATEGY: 'noauth', FULCRUM_DEFAULT_PROVIDER: 'noop' }, SLOW_START_MS);
    servers.push(server);
    // Fastify names one of the addresses it listens on; the point is that it listens at all.
    assert.match(server.url, /^http:\/\/[\d.]+:\d+$/);
    assert.equal((await fetch(`http://127.0.0.1:${new URL(server.url).port}/`)).status, 200);
  });
});
