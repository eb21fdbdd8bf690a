// The agent's probes of UDP/SCTP members' health ports, against real servers on 127.0.0.1 (no
// namespace: the probe runs where it is started). HTTP: the monitor's method and path on a
// fresh connection, up only for an expected code; a refused or silent port is down. TCP: a
// completed connect.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { httpProbeRequest, probeMember } from '../../src/agent/l4-probe.ts';
import type { L4HttpCheck } from '../../src/amphora/render/l4-plan.ts';

describe('HTTP and TCP probes of a UDP member\'s health port', () => {
  let server: http.Server;
  let silent: net.Server;
  let port: number;
  let silentPort: number;
  const seen: { method?: string; url?: string; version: string; host?: string }[] = [];

  before(async () => {
    // Answers 204 to HEAD /healthz only: a probe that asks anything else gets a 404.
    server = http.createServer((req, res) => {
      seen.push({ method: req.method, url: req.url, version: req.httpVersion, host: req.headers.host });
      res.writeHead(req.method === 'HEAD' && req.url === '/healthz' ? 204 : 404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    // Accepts and never answers.
    silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as AddressInfo).port;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
    silent.close();
  });

  const check = (over: Partial<L4HttpCheck> = {}): L4HttpCheck => ({ method: 'HEAD', path: '/healthz', version: '1.0', host: null, expectedCodes: [200, 204], ...over });
  const probe = (http: L4HttpCheck, at = port, timeoutMs = 2000) => probeMember(null, { type: 'HTTP', timeoutMs, http }, '127.0.0.1', at);

  test('up for an expected code to the monitor\'s method and path; down for another code', async () => {
    assert.equal(await probe(check()), true);
    assert.deepEqual(seen.at(-1), { method: 'HEAD', url: '/healthz', version: '1.0', host: undefined });
    assert.equal(await probe(check({ expectedCodes: [200] })), false, '204 is not among the expected codes');
    assert.equal(await probe(check({ method: 'GET' })), false, 'GET /healthz is answered 404');
    assert.equal(await probe(check({ path: '/' })), false);
  });

  test('HTTP/1.1 sends the domain name, or the probed address, as Host', async () => {
    assert.equal(await probe(check({ version: '1.1', host: 'health.example' })), true);
    assert.deepEqual(seen.at(-1), { method: 'HEAD', url: '/healthz', version: '1.1', host: 'health.example' });
    assert.equal(await probe(check({ version: '1.1' })), true);
    assert.equal(seen.at(-1)?.host, `127.0.0.1:${port}`);
    assert.match(httpProbeRequest(check({ version: '1.1' }), '2001:db8::1', 8080), /\r\nHost: \[2001:db8::1\]:8080\r\n/);
  });

  test('a refused port and one that never answers are down', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.equal(await probe(check(), closedPort), false);
    assert.equal(await probe(check(), silentPort, 500), false);
  });

  test('TCP: a completed connect is up, a refused one down', async () => {
    assert.equal(await probeMember(null, { type: 'TCP', timeoutMs: 1000, http: null }, '127.0.0.1', silentPort), true);
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.equal(await probeMember(null, { type: 'TCP', timeoutMs: 1000, http: null }, '127.0.0.1', closedPort), false);
  });
});
