// /ui/: the built dashboard served by the API itself, public like the API docs (the page holds
// no data; its calls carry the user's token), locked to its own origin by its CSP, assets
// cached for good under their content-hashed names, nothing outside the build reachable.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { DASHBOARD_DIR, ensureDashboardBuilt } from '../../src/ui/build.ts';

describe('dashboard static files', () => {
  let app: TestApp;
  before(async () => {
    await ensureDashboardBuilt();
    app = await startTestApp('pglite', { worker: false, config: { authStrategy: 'apikey' } });
  });
  after(async () => {
    await app?.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) => app.api.inject({ method: 'GET', url, headers });

  test('/ui and /ui/ answer with the page, without credentials, with a same-origin CSP', async () => {
    for (const url of ['/ui', '/ui/']) {
      const res = await get(url, { accept: 'text/html,application/xhtml+xml' });
      assert.equal(res.statusCode, 200, url);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.match(res.body, /<div id="app"><\/div>/);
      assert.match(res.body, /src="\/ui\/assets\/index-[\w-]+\.js"/);
    }
    const api = await get('/v2/lbaas/loadbalancers');
    assert.equal(api.statusCode, 401, 'the API behind it still wants a token');
  });

  test('hashed assets are served as what they are and cached for good', async () => {
    const assets = readdirSync(join(DASHBOARD_DIR, 'assets'));
    const script = assets.find((f) => f.endsWith('.js'));
    const style = assets.find((f) => f.endsWith('.css'));
    assert.ok(script && style, assets.join(', '));
    const js = await get(`/ui/assets/${script}`);
    assert.equal(js.statusCode, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
    assert.match(String(js.headers['cache-control']), /immutable/);
    assert.match(js.body, /X-Auth-Token|x-auth-token/, 'the bundle is the dashboard (it signs its calls)');
    assert.doesNotMatch(js.body, /https?:\/\/(?!www\.w3\.org)[a-z]/i, 'the bundle loads nothing from elsewhere');
    const css = await get(`/ui/assets/${style}`, { accept: 'text/css,*/*;q=0.1' });
    assert.equal(css.statusCode, 200);
    assert.match(String(css.headers['content-type']), /^text\/css/);
  });

  test('a missing file or a way out of the build is a 404 fault', async () => {
    for (const url of ['/ui/assets/missing.js', '/ui/../package.json', '/ui/%2e%2e/package.json', '/ui/assets/..%2f..%2fpackage.json']) {
      const res = await get(url);
      assert.equal(res.statusCode, 404, `${url}: ${res.body.slice(0, 100)}`);
      assert.equal(typeof JSON.parse(res.body).faultstring, 'string', url);
    }
  });
});
