// /v2/fulcrum/jobs pages as every other list: a marker (a job id) continues after that job, a
// full page carries a next link, a page after a marker a previous link, filters and sort
// survive the links, and a marker that names no job is a 400.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';

for (const backend of BACKENDS) {
  describe(`paging /v2/fulcrum/jobs (${backend})`, () => {
    let app: TestApp;
    let allIds: string[];
    before(async () => {
      app = await startTestApp(backend);
      for (let i = 0; i < 5; i++) {
        const res = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, name: `jobs-${i}` } });
        await app.waitFor(`/v2/lbaas/loadbalancers/${res.body.loadbalancer.id}`, 'loadbalancer');
      }
      allIds = (await app.request('GET', '/v2/fulcrum/jobs')).body.jobs.map((j: any) => j.id);
    });
    after(async () => app?.close());

    const path = (href: string) => href.slice(href.indexOf('/v2/'));

    test('following next links visits every job once, in order', async () => {
      assert.equal(allIds.length, 5);
      const seen: string[] = [];
      let url: string | null = '/v2/fulcrum/jobs?limit=2';
      let pages = 0;
      while (url) {
        const res = await app.request('GET', url);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        seen.push(...res.body.jobs.map((j: any) => j.id));
        const next = res.body.jobs_links.find((l: any) => l.rel === 'next');
        url = next ? path(next.href) : null;
        if (++pages > 10) assert.fail('paging does not end');
      }
      assert.deepEqual(seen, allIds);
      assert.equal(pages, 3);
    });

    test('a page after a marker links back, and sort and filters are carried', async () => {
      const second = await app.request('GET', `/v2/fulcrum/jobs?limit=2&marker=${allIds[1]}`);
      assert.deepEqual(second.body.jobs.map((j: any) => j.id), allIds.slice(2, 4));
      const previous = second.body.jobs_links.find((l: any) => l.rel === 'previous');
      assert.ok(previous, JSON.stringify(second.body.jobs_links));
      const back = await app.request('GET', path(previous.href));
      assert.deepEqual(back.body.jobs.map((j: any) => j.id), allIds.slice(0, 2));

      const desc = await app.request('GET', '/v2/fulcrum/jobs?limit=3&sort=id:desc&state=succeeded');
      assert.deepEqual(desc.body.jobs.map((j: any) => j.id), [...allIds].reverse().slice(0, 3));
      const next = desc.body.jobs_links.find((l: any) => l.rel === 'next');
      assert.match(next.href, /state=succeeded/);
      assert.match(next.href, /sort=id%3Adesc/);
      const rest = await app.request('GET', path(next.href));
      assert.deepEqual(rest.body.jobs.map((j: any) => j.id), [...allIds].reverse().slice(3));
    });

    test('a marker that is not a job id, or names no job, is a 400', async () => {
      for (const marker of ['abc', '00000000-0000-4000-8000-000000000001', '-1', '9'.repeat(19), '999999999']) {
        const res = await app.request('GET', `/v2/fulcrum/jobs?marker=${marker}`);
        assert.equal(res.status, 400, marker);
        assert.equal(res.body.faultstring, `Supplied pagination marker '${marker}' is not valid.`);
      }
      const twice = await app.request('GET', `/v2/fulcrum/jobs?marker=${allIds[0]}&marker=${allIds[1]}`);
      assert.equal(twice.status, 400);
    });
  });
}
