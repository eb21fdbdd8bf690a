// Refusals made below the routes — by Node's HTTP parser and server — carry Octavia's fault
// body like every other error: a bad Expect (417), an HTTP/1.1 request without Host (400),
// oversized headers (431) and a request that is not HTTP (400). Raw sockets, so the bytes on
// the wire are exactly these.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startTestApp, type TestApp } from '../helpers/app.ts';

function exchange(port: number, request: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(text.split(' ')[1]), headers: text.slice(0, split).toLowerCase(), body: text.slice(split + 4) });
    });
    socket.write(request);
  });
}

const FAULT_KEYS = 'debuginfo,faultcode,faultstring';

describe('faults from below the routes', () => {
  let app: TestApp;
  let port: number;
  before(async () => {
    app = await startTestApp('pglite', { worker: false });
    await app.api.listen({ host: '127.0.0.1', port: 0 });
    port = (app.api.server.address() as { port: number }).port;
  });
  after(async () => app?.close());

  const assertFault = (res: { status: number; headers: string; body: string }, status: number, faultstring: RegExp) => {
    assert.equal(res.status, status, res.body);
    assert.match(res.headers, /content-type: application\/json/);
    const body = JSON.parse(res.body);
    assert.equal(Object.keys(body).sort().join(','), FAULT_KEYS);
    assert.equal(body.faultcode, 'Client');
    assert.match(body.faultstring, faultstring);
  };

  test('an Expect other than 100-continue is a 417 fault', async () => {
    const res = await exchange(port, 'GET /v2/lbaas/loadbalancers HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nX-Project-Id: p\r\nConnection: close\r\n\r\n');
    assertFault(res, 417, /^Expectation failed/);
  });

  test('an HTTP/1.1 request without Host is a 400 fault; HTTP/1.0 needs none', async () => {
    assertFault(await exchange(port, 'GET /v2/lbaas/loadbalancers HTTP/1.1\r\nX-Project-Id: p\r\nConnection: close\r\n\r\n'), 400, /Host header/);
    const old = await exchange(port, 'GET /v2/lbaas/loadbalancers HTTP/1.0\r\nX-Project-Id: p\r\n\r\n');
    assert.equal(old.status, 200, old.body);
    assert.deepEqual(JSON.parse(old.body).loadbalancers, []);
  });

  test('headers over the size limit are a 431 fault', async () => {
    const res = await exchange(port, `GET /v2/lbaas/loadbalancers HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assertFault(res, 431, /too large/);
  });

  test('bytes that are not an HTTP request are a 400 fault', async () => {
    assertFault(await exchange(port, 'NOT HTTP AT ALL\r\n\r\n'), 400, /not valid HTTP/);
    assertFault(await exchange(port, 'POST /v2/lbaas/loadbalancers HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'), 400, /not valid HTTP/);
  });

  test('Expect: 100-continue still works', async () => {
    const res = await exchange(port, 'GET /v2/lbaas/loadbalancers HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nX-Project-Id: p\r\nConnection: close\r\n\r\n');
    assert.match(res.headers, /^http\/1.1 100 continue/);
  });
});
