// Every rendered case is accepted by the real HAProxy 2.6 (`haproxy -c`, warnings fatal) and
// keepalived 2.2.7 (`keepalived -t`), with throwaway PEM files where the config names them; and a
// running HAProxy matches and redirects on hostile tenant strings exactly as given.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { renderHaproxy } from '../../src/amphora/render/haproxy-config.ts';
import { renderKeepalivedConfig } from '../../src/amphora/render/keepalived-config.ts';
import type { AmphoraFile } from '../../src/amphora/render/amphora-files.ts';
import { amphoraContext, graph, haproxyCases, keepalivedCases, l7policy, l7rule, listener, loadBalancer } from '../helpers/graph-builder.ts';

const run = promisify(execFile);
const HAPROXY = '/usr/sbin/haproxy';
const KEEPALIVED = '/usr/sbin/keepalived';
const HAPROXY_CHECK = fileURLToPath(new URL('../../src/agent/haproxy-alive.sh', import.meta.url));

let dir = '';
const pem = { bundle: '', cert: '', crl: '' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fulcrum-render-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=test', '-days', '1', '-keyout', key, '-out', cert]);
  // A CRL signed by that certificate needs a minimal `openssl ca` database.
  const ca = join(dir, 'ca');
  mkdirSync(ca);
  writeFileSync(join(ca, 'index.txt'), '');
  writeFileSync(join(ca, 'crlnumber'), '01\n');
  writeFileSync(join(ca, 'ca.cnf'), `[ca]\ndefault_ca = d\n[d]\ndatabase = ${ca}/index.txt\ncrlnumber = ${ca}/crlnumber\ndefault_md = sha256\ndefault_crl_days = 1\n`);
  await run('openssl', ['ca', '-config', join(ca, 'ca.cnf'), '-gencrl', '-keyfile', key, '-cert', cert, '-out', join(dir, 'crl.pem')]);
  pem.cert = readFileSync(cert, 'utf8');
  pem.bundle = pem.cert + readFileSync(key, 'utf8');
  pem.crl = readFileSync(join(dir, 'crl.pem'), 'utf8');
});

after(() => rmSync(dir, { recursive: true, force: true }));

function writeAmphoraFiles(files: AmphoraFile[]): void {
  for (const file of files) {
    mkdirSync(dirname(file.path), { recursive: true });
    const content = { 'certificate-bundle': pem.bundle, 'ca-certificates': pem.cert, crl: pem.crl, 'crt-list': '' };
    writeFileSync(file.path, file.kind === 'crt-list' ? file.content : content[file.kind]);
  }
}

/** Renders into `root` and writes everything HAProxy reads at start: files and an empty state file. */
function materialise(root: string, config: string, files: AmphoraFile[], stateFile: string): string {
  mkdirSync(join(root, 'run'), { recursive: true });
  writeAmphoraFiles(files);
  // What `show servers state` dumps for no servers; an absent file is a (fatal under -dW) warning.
  writeFileSync(stateFile, '1\n');
  const path = join(root, 'haproxy.cfg');
  writeFileSync(path, config);
  return path;
}

async function check(command: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(command, args);
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe('haproxy -c accepts every rendered case', () => {
  for (const c of haproxyCases()) {
    test(c.name, async () => {
      const root = join(dir, c.name);
      const ctx = c.ctx(root);
      const { config, files } = renderHaproxy(c.graph, ctx);
      const path = materialise(root, config, files, ctx.paths.serverStateFile);
      // -dW: zero-warning mode, so a warning fails the test too.
      const result = await check(HAPROXY, ['-dW', '-c', '-f', path]);
      assert.equal(result.code, 0, `${c.name}: haproxy -c failed:\n${result.output}\n--- config ---\n${config}`);
    });
  }
});

describe('keepalived -t accepts every rendered case', () => {
  // keepalived -t insists that the interface exists; any non-loopback one of this host will do.
  const iface = Object.entries(networkInterfaces()).find(([, addrs]) => addrs?.some((a) => !a.internal))?.[0];
  for (const c of keepalivedCases()) {
    test(c.name, { skip: iface ? false : 'no non-loopback interface on this host' }, async () => {
      const root = join(dir, c.name);
      mkdirSync(root, { recursive: true });
      const ctx = c.ctx(root);
      // keepalived -t refuses a check script that is missing or that script security forbids:
      // the shipped one, installed as the agent installs it.
      mkdirSync(dirname(ctx.vrrp!.haproxyCheckScript), { recursive: true });
      copyFileSync(HAPROXY_CHECK, ctx.vrrp!.haproxyCheckScript);
      chmodSync(ctx.vrrp!.haproxyCheckScript, 0o700);
      const config = renderKeepalivedConfig(c.graph, { ...ctx, vrrp: { ...ctx.vrrp!, interface: iface! } });
      const path = join(root, 'keepalived.conf');
      writeFileSync(path, config);
      const result = await check(KEEPALIVED, ['-t', '-f', path]);
      assert.equal(result.code, 0, `${c.name}: keepalived -t failed:\n${result.output}\n--- config ---\n${config}`);
    });
  }

  test('keepalived -t rejects what the renderer must not produce (the check is real)', { skip: iface ? false : 'no interface' }, async () => {
    const root = join(dir, 'keepalived-negative');
    mkdirSync(root, { recursive: true });
    const c = keepalivedCases()[0];
    const ctx = c.ctx(root);
    const config = renderKeepalivedConfig(c.graph, { ...ctx, vrrp: { ...ctx.vrrp!, interface: iface! } }).replace('nopreempt', 'nopreempt_typo');
    writeFileSync(join(root, 'keepalived.conf'), config);
    assert.notEqual((await check(KEEPALIVED, ['-t', '-f', join(root, 'keepalived.conf')])).code, 0);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      resolve({ status: res.statusCode!, location: res.headers.location });
    });
    req.on('error', reject);
    req.end();
  });
}

test('a running HAProxy sees hostile tenant strings exactly as the tenant wrote them', async () => {
  const hostile = `a b'c"d#e\\f$HOME%[src]`;
  const port = await freePort();
  const lb = loadBalancer();
  const l = listener({
    protocol_port: port,
    l7policies: [
      l7policy({ position: 1, action: 'REJECT', rules: [l7rule({ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-T#k', value: hostile })] }),
      l7policy({ position: 2, action: 'REDIRECT_TO_URL', redirect_url: "https://example.com/%41?q='$HOME'#frag", rules: [l7rule({ type: 'PATH', compare_type: 'EQUAL_TO', value: '/go' })] }),
      l7policy({ position: 3, action: 'REJECT', rules: [l7rule({ type: 'PATH', compare_type: 'ENDS_WITH', value: '-f' })] }),
    ],
  });
  const root = join(dir, 'runtime');
  const ctx = amphoraContext({ root, vipAddress: '127.0.0.1' });
  const { config, files } = renderHaproxy(graph(lb, [l], []), ctx);
  const path = materialise(root, config, files, ctx.paths.serverStateFile);
  const child = spawn(HAPROXY, ['-db', '-f', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      ready = await get(port, '/', {}).then(() => true, () => new Promise((r) => setTimeout(() => r(false), 50)) as Promise<boolean>);
    }
    assert.ok(ready, `haproxy did not start:\n${stderr}`);
    // No default pool: anything that no policy stops gets HAProxy's 503.
    assert.equal((await get(port, '/', { 'X-T#k': hostile })).status, 403);
    assert.equal((await get(port, '/', { 'X-T#k': hostile.slice(0, -1) })).status, 503);
    assert.equal((await get(port, '/', { 'X-T#k': 'a' })).status, 503);
    const redirect = await get(port, '/go', {});
    assert.deepEqual(redirect, { status: 302, location: "https://example.com/%41?q='$HOME'#frag" });
    // A value that looks like an ACL flag (`-f <file>`) is still a value.
    assert.equal((await get(port, '/x-f', {})).status, 403);
    assert.equal((await get(port, '/x-g', {})).status, 503);
  } finally {
    child.kill('SIGTERM');
  }
});

test('haproxy -c rejects a config it should (the check is real)', async () => {
  const root = join(dir, 'negative');
  const c = haproxyCases()[0];
  const ctx = c.ctx(root);
  const { config, files } = renderHaproxy(c.graph, ctx);
  const path = materialise(root, config.replace('balance roundrobin', 'balance nosuchalgorithm'), files, ctx.paths.serverStateFile);
  assert.notEqual((await check(HAPROXY, ['-dW', '-c', '-f', path])).code, 0);
});
