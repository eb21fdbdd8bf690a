// What the API stores, shows and filters on is the string the caller sent: a body that is not
// valid UTF-8 is a 400 (not U+FFFD in the database), and so is a value beginning with U+FEFF,
// which the embedded database's driver would hand back without it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { BACKENDS } from '../helpers/db.ts';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';

for (const backend of BACKENDS) {
  describe(`text kept as sent (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend);
    });
    after(async () => app?.close());

    const createRaw = (name: Buffer) =>
      app.api.inject({
        method: 'POST',
        url: '/v2/lbaas/loadbalancers',
        headers: { 'x-project-id': 'text', 'content-type': 'application/json' },
        payload: Buffer.concat([Buffer.from(`{"loadbalancer": {"vip_subnet_id": "${SUBNET}", "name": "`), name, Buffer.from('"}}')]),
      });
    const stored = async () => (await app.rt.database.db.selectFrom('load_balancer').select('name').where('project_id', '=', 'text').execute()).map((r) => r.name);

    test('invalid UTF-8 inside a JSON string is a 400 fault and nothing is stored', async () => {
      const bad = [
        Buffer.from([0x61, 0xff, 0x62]),
        Buffer.from([0xc3]),
        Buffer.from([0xc0, 0x80]),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from([0xf4, 0x90, 0x80, 0x80]),
      ];
      for (const bytes of bad) {
        const res = await createRaw(bytes);
        assert.equal(res.statusCode, 400, bytes.toString('hex'));
        assert.deepEqual(res.json(), { faultcode: 'Client', faultstring: 'Invalid input: the request body is not valid UTF-8.', debuginfo: null });
      }
      assert.deepEqual(await stored(), []);
    });

    test('a multi-byte character split across body chunks is valid UTF-8', async () => {
      await app.api.listen({ host: '127.0.0.1', port: 0 });
      const port = (app.api.server.address() as { port: number }).port;
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v2/lbaas/loadbalancers', headers: { 'x-project-id': 'text', 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        const snow = Buffer.from('\u2603', 'utf8');
        req.write(Buffer.concat([Buffer.from(`{"loadbalancer": {"vip_subnet_id": "${SUBNET}", "name": "split`), snow.subarray(0, 1)]));
        setTimeout(() => req.end(Buffer.concat([snow.subarray(1), Buffer.from('"}}')])), 50);
      });
      assert.equal(status, 201);
      assert.deepEqual(await stored(), ['split\u2603']);
    });

    test('a value beginning with U+FEFF is a 400; U+FEFF elsewhere is stored, shown and found as sent', async () => {
      const lead = await createRaw(Buffer.from('\ufeffweb', 'utf8'));
      assert.equal(lead.statusCode, 400);
      assert.match(lead.json().faultstring, /begins with U\+FEFF/);
      const escaped = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, name: 'ok', tags: ['\ufeffx'] } }, { 'x-project-id': 'text' });
      assert.equal(escaped.status, 400);
      const inner = await createRaw(Buffer.from('we\ufeffb', 'utf8'));
      assert.equal(inner.statusCode, 201);
      const id = inner.json().loadbalancer.id;
      assert.equal(inner.json().loadbalancer.name, 'we\ufeffb');
      assert.equal((await app.request('GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer.name, 'we\ufeffb');
      const found = await app.request('GET', `/v2/lbaas/loadbalancers?name=${encodeURIComponent('we\ufeffb')}`);
      assert.deepEqual(found.body.loadbalancers.map((lb: any) => lb.id), [id]);
      assert.ok((await stored()).includes('we\ufeffb'));
    });
  });
}
