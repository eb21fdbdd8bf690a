// noauth takes the project from X-Project-Id / X-Tenant-Id: those headers are held to the rule
// of a body project_id and refused with a 400 fault (never stored) when repeated, over-long,
// not ASCII or carrying control characters.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { BACKENDS } from '../helpers/db.ts';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';

/** One raw HTTP/1.1 exchange, so header bytes and repeats reach the server exactly as written. */
function rawRequest(port: number, head: Buffer, body: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [headPart, ...rest] = text.split('\r\n\r\n');
      resolve({ status: Number(headPart.split(' ')[1]), body: rest.join('\r\n\r\n') ? JSON.parse(rest.join('\r\n\r\n')) : null });
    });
    socket.write(Buffer.concat([head, Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)]));
  });
}

for (const backend of BACKENDS) {
  describe(`project headers under noauth (${backend})`, () => {
    let app: TestApp;
    let port: number;
    before(async () => {
      app = await startTestApp(backend);
      await app.api.listen({ host: '127.0.0.1', port: 0 });
      port = (app.api.server.address() as { port: number }).port;
    });
    after(async () => app?.close());

    const create = (headers: Record<string, string | string[]>) =>
      app.api.inject({
        method: 'POST',
        url: '/v2/lbaas/loadbalancers',
        headers: { 'content-type': 'application/json', ...headers },
        payload: JSON.stringify({ loadbalancer: { vip_subnet_id: SUBNET } }),
      });

    test('a project id of 36 printable characters is taken as given', async () => {
      const project = 'p'.repeat(30) + '-._~@!';
      const res = await create({ 'x-project-id': project });
      assert.equal(res.statusCode, 201);
      assert.equal(res.json().loadbalancer.project_id, project);
    });

    test('over-long, repeated, non-ASCII and control-character values are a 400 fault and store nothing', async () => {
      const cases: Record<string, string | string[]>[] = [
        { 'x-project-id': 'a'.repeat(10_000) },
        { 'x-project-id': 'a'.repeat(37) },
        { 'x-project-id': ['a', 'b'] },
        { 'x-tenant-id': ['a', 'a'] },
        { 'x-project-id': 'a', 'x-tenant-id': 'b' },
        { 'x-project-id': 'caf\u00e9' },
        { 'x-project-id': 'a\u007fb' },
      ];
      for (const headers of cases) {
        const res = await create(headers);
        assert.equal(res.statusCode, 400, JSON.stringify(headers).slice(0, 80));
        assert.equal(res.json().faultcode, 'Client');
        assert.match(res.json().faultstring, /^Invalid input: the x-(project|tenant)-id/);
      }
      const all = await app.request('GET', '/v2/lbaas/loadbalancers');
      const projects = new Set(all.body.loadbalancers.map((lb: any) => lb.project_id));
      assert.deepEqual([...projects].filter((p) => p !== 'p'.repeat(30) + '-._~@!'), []);
    });

    test('over the wire: a repeated header and UTF-8 bytes are refused, not joined or read as latin-1', async () => {
      const body = JSON.stringify({ loadbalancer: { vip_subnet_id: SUBNET } });
      const start = 'POST /v2/lbaas/loadbalancers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n';
      const repeated = await rawRequest(port, Buffer.from(`${start}X-Project-Id: a\r\nX-Project-Id: b\r\n`), body);
      assert.equal(repeated.status, 400);
      assert.match(repeated.body.faultstring, /given 2 times/);
      const utf8 = await rawRequest(port, Buffer.concat([Buffer.from(`${start}X-Project-Id: caf`), Buffer.from('\u00e9', 'utf8'), Buffer.from('\r\n')]), body);
      assert.equal(utf8.status, 400);
      assert.match(utf8.body.faultstring, /printable ASCII/);
      const good = await rawRequest(port, Buffer.from(`${start}X-Project-Id: wire\r\n`), body);
      assert.equal(good.status, 201);
      assert.equal(good.body.loadbalancer.project_id, 'wire');
    });
  });
}
