// The version document (docs/octavia-compatibility.md §1.3): every minor version v2.0 … v2.30 with Octavia's
// `updated` dates, v2.30 the one CURRENT, all pointing at the request's own `/v2`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

for (const backend of BACKENDS) {
  describe(`version document (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend);
    });
    after(async () => app?.close());

    test('lists v2.0 to v2.30 in order, only the last CURRENT, with the reference dates', async () => {
      const res = await app.request('GET', '/', undefined, { host: 'lb.example:9876' });
      assert.equal(res.status, 200);
      const versions = res.body.versions as { id: string; status: string; updated: string; links: unknown }[];
      assert.deepEqual(versions.map((v) => v.id), Array.from({ length: 31 }, (_, i) => `v2.${i}`));
      assert.deepEqual(versions.filter((v) => v.status === 'CURRENT').map((v) => v.id), ['v2.30']);
      assert.ok(versions.slice(0, -1).every((v) => v.status === 'SUPPORTED'));
      const updated = Object.fromEntries(versions.map((v) => [v.id, v.updated]));
      assert.equal(updated['v2.0'], '2016-12-11T00:00:00Z');
      assert.equal(updated['v2.7'], '2018-01-25T12:00:00Z');
      assert.equal(updated['v2.18'], '2020-04-29T01:00:00Z');
      assert.equal(updated['v2.29'], '2024-10-15T00:00:00Z');
      assert.equal(updated['v2.30'], '2025-02-26T00:00:00Z');
      for (const v of versions) assert.deepEqual(v.links, [{ href: 'http://lb.example:9876/v2', rel: 'self' }]);
    });
  });
}
