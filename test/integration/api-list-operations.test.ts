// List operations (docs/octavia-compatibility.md §3) through the HTTP API on load balancers, on both back ends:
// pagination by following the links exactly as returned, sorting with its tie-breakers,
// attribute and tag filters, field selection and the 400s for bad queries.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { SUBNET, startTestApp, type TestApp } from '../helpers/app.ts';

const BASE = '/v2/lbaas/loadbalancers';
const ORIGIN = 'http://localhost:80';
// Below the number of load balancers made here, so that the default page size (the cap),
// clamping, and filtered lists longer than one page are all visible.
const CAP = 8;
const DUPLICATE_OR_INVALID = 'One or more arguments are either duplicate or invalid';

interface Lb {
  id: string;
  name: string;
  admin_state_up: boolean;
  created_at: string;
  project_id: string;
  vip_qos_policy_id: string | null;
  tags: string[];
}

const QOS_A = '11111111-1111-4111-8111-111111111111';
const QOS_B = '22222222-2222-4222-8222-222222222222';

// Names are lower-case ASCII so that JavaScript and any PostgreSQL collation agree on order.
// Some have a QoS policy and most do not, for sorting on a column with NULLs.
const SPECS = [
  { name: 'alpha', admin_state_up: true, tags: ['red', 'blue'], vip_qos_policy_id: QOS_B },
  { name: 'bravo', admin_state_up: false, tags: ['red'] },
  { name: 'charlie', admin_state_up: true, tags: ['blue'], vip_qos_policy_id: QOS_A },
  { name: 'alpha', admin_state_up: false, tags: [] },
  { name: 'bravo', admin_state_up: true, tags: ['red', 'blue', 'green'], vip_qos_policy_id: QOS_A },
  { name: 'alpha', admin_state_up: true, tags: ['green'] },
  { name: 'delta', admin_state_up: true, tags: ['red', 'green'] },
];
const TWINS = 3;
const TWIN_CREATED_AT = new Date('2025-01-01T00:00:00.000Z');

type SortField = 'name' | 'admin_state_up' | 'created_at' | 'id' | 'vip_qos_policy_id';

function compare(a: Lb, b: Lb, field: SortField): number {
  if (field === 'admin_state_up') return Number(a[field]) - Number(b[field]);
  if (field === 'vip_qos_policy_id') {
    // PostgreSQL puts NULLs after every value ascending, and so before them descending.
    const [x, y] = [a[field], b[field]];
    return x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
  }
  if (field === 'created_at') return Date.parse(`${a.created_at}Z`) - Date.parse(`${b.created_at}Z`);
  return a[field] < b[field] ? -1 : a[field] > b[field] ? 1 : 0;
}

/** The ids of `lbs` in the order the given sort keys define (1 = asc, -1 = desc). */
function ordered(lbs: Lb[], keys: [SortField, 1 | -1][]): string[] {
  return [...lbs]
    .sort((a, b) => {
      for (const [field, dir] of keys) {
        const c = compare(a, b, field);
        if (c !== 0) return c * dir;
      }
      return 0;
    })
    .map((lb) => lb.id);
}

function idsOf(body: { loadbalancers: { id: string }[] }): string[] {
  return body.loadbalancers.map((lb) => lb.id);
}

type Links = { href: string; rel: string }[];

function link(body: { loadbalancers_links: Links }, rel: 'next' | 'previous'): string | undefined {
  return body.loadbalancers_links.find((l) => l.rel === rel)?.href;
}

for (const backend of BACKENDS) {
  describe(`list operations on load balancers (${backend})`, () => {
    let app: TestApp;
    let all: Lb[];
    let twins: string[];

    async function get(path: string): Promise<any> {
      const res = await app.request('GET', path);
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
      assert.ok(Array.isArray(res.body.loadbalancers_links), `${path}: no loadbalancers_links`);
      return res.body;
    }

    /** The path and query of a link, after checking it points back at this collection. */
    function follow(href: string): string {
      assert.ok(href.startsWith(`${ORIGIN}${BASE}?`), href);
      const url = new URL(href);
      return url.pathname + url.search;
    }

    /** Every page from `path` on, following `next` hrefs as given, until a page has none. */
    async function walk(path: string): Promise<{ pages: string[][]; bodies: any[] }> {
      const pages: string[][] = [];
      const bodies: any[] = [];
      let next: string | undefined = path;
      for (let i = 0; next !== undefined; i++) {
        assert.ok(i < 50, `more than 50 pages from ${path}`);
        const body = await get(next);
        pages.push(idsOf(body));
        bodies.push(body);
        const href = link(body, 'next');
        next = href === undefined ? undefined : follow(href);
      }
      return { pages, bodies };
    }

    async function walkIds(path: string): Promise<string[]> {
      return (await walk(path)).pages.flat();
    }

    async function fault(path: string, message: string): Promise<void> {
      const res = await app.request('GET', path);
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body, { faultcode: 'Client', faultstring: message, debuginfo: null }, path);
    }

    before(async () => {
      app = await startTestApp(backend, { config: { paginationMaxLimit: CAP } });
      const created: string[] = [];
      const create = async (lb: Record<string, unknown>) => {
        const res = await app.request('POST', BASE, { loadbalancer: { vip_subnet_id: SUBNET, ...lb } });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        created.push(res.body.loadbalancer.id);
        return res.body.loadbalancer.id as string;
      };
      for (const spec of SPECS) await create(spec);
      twins = [];
      for (let i = 0; i < TWINS; i++) twins.push(await create({ name: 'twin' }));
      await create({ name: 'other', project_id: 'project-b', tags: ['blue'] });
      for (const id of created) await app.waitFor(`${BASE}/${id}`, 'loadbalancer', ['ACTIVE']);
      // Equal names and equal creation times, so that only the id tie-breaker orders the
      // twins; a millisecond collision would otherwise be left to chance.
      await app.rt.database.db.updateTable('load_balancer').set({ created_at: TWIN_CREATED_AT }).where('id', 'in', twins).execute();
      // noauth callers are administrators, who list every project's load balancers.
      const bodies = (await walk(BASE)).bodies;
      all = bodies.flatMap((b) => b.loadbalancers);
      assert.deepEqual(all.map((lb) => lb.id).sort(), [...created].sort());
    });
    after(async () => app?.close());

    test('every list answer carries loadbalancers_links, [] when there is nothing to link', async () => {
      for (const path of [`${BASE}?name=alpha`, `${BASE}?name=nobody`, `${BASE}?fields=id&name=alpha`, `${BASE}?vip_subnet_id=nope`]) {
        const body = await get(path);
        assert.deepEqual(body.loadbalancers_links, [], path);
      }
      const empty = await get(`${BASE}?name=nobody`);
      assert.deepEqual(empty, { loadbalancers: [], loadbalancers_links: [] });
    });

    test('without limit the page size is the cap; larger limits and limit <= 0 are clamped to it', async () => {
      for (const q of ['', '?limit=5000', '?limit=0', '?limit=-1']) {
        const body = await get(`${BASE}${q}`);
        assert.equal(body.loadbalancers.length, CAP, q);
        const next = new URL(link(body, 'next')!);
        assert.equal(next.searchParams.get('limit'), String(CAP), q);
        assert.equal(next.searchParams.get('marker'), body.loadbalancers[CAP - 1].id, q);
      }
      await fault(`${BASE}?limit=abc`, "Supplied pagination limit 'abc' is not valid.");
      await fault(`${BASE}?limit=2.5`, "Supplied pagination limit '2.5' is not valid.");
    });

    test('following next hrefs visits every load balancer once, in created_at/id order', async () => {
      const { pages, bodies } = await walk(`${BASE}?limit=3`);
      assert.deepEqual(
        pages.map((p) => p.length),
        [3, 3, 3, 2],
      );
      assert.deepEqual(pages.flat(), ordered(all, [['created_at', 1], ['id', 1]]));
      for (const [i, body] of bodies.entries()) {
        const next = link(body, 'next');
        if (i < bodies.length - 1) {
          const url = new URL(next!);
          assert.equal(url.searchParams.get('limit'), '3');
          assert.equal(url.searchParams.get('marker'), pages[i].at(-1));
          assert.equal(url.searchParams.get('page_reverse'), null);
        } else {
          assert.equal(next, undefined, 'a page that is not full has no next link');
        }
        const previous = link(body, 'previous');
        if (i === 0) {
          assert.equal(previous, undefined, 'no previous link without a marker');
        } else {
          const url = new URL(previous!);
          assert.equal(url.pathname, BASE);
          assert.equal(url.searchParams.get('limit'), '3');
          assert.equal(url.searchParams.get('marker'), pages[i][0]);
          assert.equal(url.searchParams.get('page_reverse'), 'True');
        }
      }
    });

    test('a full last page still has a next link, which leads to an empty page', async () => {
      const mine = all.filter((lb) => lb.project_id === 'project-a').map((lb) => lb.id);
      assert.equal(mine.length, 10);
      const { pages, bodies } = await walk(`${BASE}?project_id=project-a&limit=5`);
      assert.deepEqual(pages, [mine.slice(0, 5), mine.slice(5), []]);
      assert.deepEqual(bodies[2].loadbalancers_links, []);

      // The filter travels with the link: the page after the three alphas is empty, not the
      // rest of the collection.
      const alphas = await get(`${BASE}?name=alpha&limit=3`);
      assert.equal(alphas.loadbalancers.length, 3);
      const beyond = await get(follow(link(alphas, 'next')!));
      assert.deepEqual(beyond, { loadbalancers: [], loadbalancers_links: [] });
    });

    test('previous hrefs with page_reverse=True walk back page by page, in forward order', async () => {
      const { pages, bodies } = await walk(`${BASE}?limit=3`);
      let body = bodies.at(-1);
      for (let i = pages.length - 2; i >= 0; i--) {
        body = await get(follow(link(body, 'previous')!));
        assert.deepEqual(idsOf(body), pages[i], `page ${i} walking back`);
        // A page reached backwards links forward again to the page after it.
        assert.deepEqual(idsOf(await get(follow(link(body, 'next')!))), pages[i + 1]);
      }
      // Before the first page there is nothing.
      assert.deepEqual(await get(follow(link(body, 'previous')!)), { loadbalancers: [], loadbalancers_links: [] });

      const third = await get(`${BASE}?limit=3&marker=${pages[2][0]}&page_reverse=True`);
      assert.deepEqual(idsOf(third), pages[1]);
      // Only the exact string True reverses.
      assert.deepEqual(idsOf(await get(`${BASE}?limit=3&marker=${pages[2][0]}&page_reverse=true`)), [...pages[2].slice(1), pages[3][0]]);
    });

    test('sorting by name, both directions, with created_at then id breaking ties', async () => {
      const asc = ordered(all, [['name', 1], ['created_at', 1], ['id', 1]]);
      // The tie-breakers take the direction of the first sort key.
      const desc = ordered(all, [['name', -1], ['created_at', -1], ['id', -1]]);
      assert.deepEqual(await walkIds(`${BASE}?sort=name:asc`), asc);
      assert.deepEqual(await walkIds(`${BASE}?sort=name`), asc);
      assert.deepEqual(await walkIds(`${BASE}?sort=name:desc`), desc);
      assert.deepEqual(await walkIds(`${BASE}?sort=name:DESC`), desc);
      assert.deepEqual(await walkIds(`${BASE}?sort_key=name&sort_dir=desc`), desc);

      const sortedTwins = [...twins].sort();
      assert.deepEqual(
        asc.filter((id) => twins.includes(id)),
        sortedTwins,
      );
      assert.deepEqual(
        desc.filter((id) => twins.includes(id)),
        sortedTwins.reverse(),
      );
    });

    test('sorting by several keys', async () => {
      assert.deepEqual(
        await walkIds(`${BASE}?sort=admin_state_up:desc,name`),
        ordered(all, [['admin_state_up', -1], ['name', 1], ['created_at', -1], ['id', -1]]),
      );
      assert.deepEqual(
        await walkIds(`${BASE}?sort_key=admin_state_up,name&sort_dir=asc,desc`),
        ordered(all, [['admin_state_up', 1], ['name', -1], ['created_at', 1], ['id', 1]]),
      );
      assert.deepEqual(
        await walkIds(`${BASE}?sort=name:desc,created_at:asc`),
        ordered(all, [['name', -1], ['created_at', 1], ['id', -1]]),
      );
    });

    test('pagination stays consistent under a sort, forwards and backwards', async () => {
      const byNameDesc = ordered(all, [['name', -1], ['admin_state_up', 1], ['created_at', -1], ['id', -1]]);
      assert.deepEqual(await walkIds(`${BASE}?sort=name:desc,admin_state_up&limit=2`), byNameDesc);

      // One per page: the twins differ only in id, so the marker must carry it to move on.
      const byName = ordered(all, [['name', 1], ['created_at', 1], ['id', 1]]);
      const { pages, bodies } = await walk(`${BASE}?sort=name&limit=1`);
      assert.deepEqual(pages.flat(), byName);
      assert.equal(pages.length, all.length + 1, 'the last full page links to an empty one');
      assert.deepEqual(pages.at(-1), []);
      const lastLink = new URL(link(bodies.at(-2), 'next')!);
      assert.equal(lastLink.searchParams.get('sort'), 'name:asc');

      let body = bodies.at(-2);
      const back: string[] = [];
      for (let i = 0; i < all.length; i++) {
        const previous = link(body, 'previous');
        if (previous === undefined) break;
        body = await get(follow(previous));
        back.unshift(...idsOf(body));
      }
      assert.deepEqual(back, byName.slice(0, -1));
    });

    test('sorting and paging over a column with NULLs, both directions', async () => {
      const withQos = all.filter((lb) => lb.vip_qos_policy_id !== null).length;
      assert.ok(withQos >= 3 && withQos < all.length);
      for (const [dir, sign] of [
        ['asc', 1],
        ['desc', -1],
      ] as const) {
        const expected = ordered(all, [['vip_qos_policy_id', sign], ['created_at', sign], ['id', sign]]);
        const { pages, bodies } = await walk(`${BASE}?sort=vip_qos_policy_id:${dir}&limit=2`);
        assert.deepEqual(pages.flat(), expected, dir);
        // Back from the last page: markers with a NULL sort value must work both ways too.
        let body = bodies.at(-1);
        const back: string[][] = [];
        for (let i = 0; i < pages.length - 1; i++) {
          body = await get(follow(link(body, 'previous')!));
          back.unshift(idsOf(body));
        }
        assert.deepEqual(back, pages.slice(0, -1), dir);
      }
    });

    test('attribute filters: name, admin_state_up in every boolean form, ids, project', async () => {
      const where = (p: (lb: Lb) => boolean) => all.filter(p).map((lb) => lb.id);
      const alphas = where((lb) => lb.name === 'alpha');
      assert.equal(alphas.length, 3);
      assert.deepEqual(await walkIds(`${BASE}?name=alpha`), alphas);

      const up = where((lb) => lb.admin_state_up);
      const down = where((lb) => !lb.admin_state_up);
      assert.ok(up.length > CAP && down.length > 0);
      for (const form of ['true', 'True', 'TRUE', '1', 'yes', 'on']) assert.deepEqual(await walkIds(`${BASE}?admin_state_up=${form}`), up, form);
      for (const form of ['false', 'False', '0', 'no', 'off']) assert.deepEqual(await walkIds(`${BASE}?admin_state_up=${form}`), down, form);
      await fault(`${BASE}?admin_state_up=maybe`, "Invalid input for field/attribute admin_state_up. Value: 'maybe'.");

      assert.deepEqual(
        await walkIds(`${BASE}?name=alpha&admin_state_up=false`),
        where((lb) => lb.name === 'alpha' && !lb.admin_state_up),
      );
      assert.deepEqual(await walkIds(`${BASE}?vip_subnet_id=${SUBNET}`), all.map((lb) => lb.id));
      assert.deepEqual(await walkIds(`${BASE}?vip_subnet_id=${SUBNET.toUpperCase()}`), all.map((lb) => lb.id));
      // A malformed UUID cannot match a uuid column: an empty list, not a database error.
      for (const bad of ['not-a-uuid', '1234', `${SUBNET}0`]) {
        assert.deepEqual(await get(`${BASE}?vip_subnet_id=${bad}`), { loadbalancers: [], loadbalancers_links: [] }, bad);
      }
      assert.deepEqual(await walkIds(`${BASE}?vip_subnet_id=00000000-0000-4000-8000-000000000000`), []);
      const one = all[4];
      assert.deepEqual(await walkIds(`${BASE}?id=${one.id.toUpperCase()}`), [one.id]);
      assert.deepEqual(await walkIds(`${BASE}?created_at=${one.created_at}`), where((lb) => lb.created_at === one.created_at));
      assert.deepEqual((await walkIds(`${BASE}?created_at=2025-01-01T00:00:00`)).sort(), [...twins].sort());

      const projectB = where((lb) => lb.project_id === 'project-b');
      assert.equal(projectB.length, 1);
      assert.deepEqual(await walkIds(`${BASE}?project_id=project-b`), projectB);
      assert.deepEqual(await walkIds(`${BASE}?tenant_id=project-b`), projectB);
    });

    test('values the database cannot hold match nothing instead of failing', async () => {
      for (const q of ['name=%00', 'description=a%00b', 'created_at=%2B099999-01-01T00:00:00', 'created_at=soon', 'tags=%00', 'tags-any=%00', 'tags=red,%00']) {
        assert.deepEqual(await get(`${BASE}?${q}`), { loadbalancers: [], loadbalancers_links: [] }, q);
      }
      // Nobody has the unstorable tag, so excluding it excludes nobody.
      for (const q of ['not-tags=%00', 'not-tags-any=%00', 'not-tags=red,%00']) {
        assert.deepEqual(await walkIds(`${BASE}?${q}`), all.map((lb) => lb.id), q);
      }
    });

    test('unknown, duplicate or malformed parameters are a 400 fault', async () => {
      for (const q of ['bogus=1', 'enabled=true', 'constructor=x', '__proto__=x', 'toString=x', 'name=a&name=b', 'sort=name&sort_key=id', 'limit=1&limit=2']) {
        await fault(`${BASE}?${q}`, DUPLICATE_OR_INVALID);
      }
      for (const key of ['bogus', 'tags', 'constructor']) await fault(`${BASE}?sort=${key}`, `Supplied sort key '${key}' is not valid.`);
      await fault(`${BASE}?sort=name:desc:x`, "Supplied sort key 'name:desc:x' is not valid.");
      await fault(`${BASE}?sort=name:sideways`, "Supplied sort direction 'sideways' is not valid.");
      await fault(`${BASE}?sort_key=name&sort_dir=up`, "Supplied sort direction 'up' is not valid.");
      await fault(`${BASE}?marker=nope`, "Supplied pagination marker 'nope' is not valid.");
      const unknown = '00000000-0000-4000-8000-000000000000';
      await fault(`${BASE}?marker=${unknown}`, `Supplied pagination marker '${unknown}' is not valid.`);
    });

    test('tag filters of all four kinds, comma lists and repeats, combined with attribute filters', async () => {
      const has = (lb: Lb, ...tags: string[]) => tags.every((t) => lb.tags.includes(t));
      const hasAny = (lb: Lb, ...tags: string[]) => tags.some((t) => lb.tags.includes(t));
      const cases: [string, (lb: Lb) => boolean][] = [
        ['tags=red,blue', (lb) => has(lb, 'red', 'blue')],
        ['tags=red&tags=blue', (lb) => has(lb, 'red', 'blue')],
        ['tags=red,blue&tags=green', (lb) => has(lb, 'red', 'blue', 'green')],
        ['tags-any=red,green', (lb) => hasAny(lb, 'red', 'green')],
        ['tags-any=red&tags-any=green', (lb) => hasAny(lb, 'red', 'green')],
        ['not-tags=red,blue', (lb) => !has(lb, 'red', 'blue')],
        ['not-tags=red&not-tags=blue', (lb) => !has(lb, 'red', 'blue')],
        ['not-tags-any=red,green', (lb) => !hasAny(lb, 'red', 'green')],
        ['not-tags-any=red&not-tags-any=green', (lb) => !hasAny(lb, 'red', 'green')],
        ['tags=red&not-tags=blue', (lb) => has(lb, 'red') && !has(lb, 'blue')],
        ['tags-any=blue,green&not-tags-any=red', (lb) => hasAny(lb, 'blue', 'green') && !hasAny(lb, 'red')],
        ['tags=red&admin_state_up=true', (lb) => has(lb, 'red') && lb.admin_state_up],
        ['tags-any=green&name=alpha', (lb) => hasAny(lb, 'green') && lb.name === 'alpha'],
        ['not-tags-any=green&name=alpha', (lb) => !hasAny(lb, 'green') && lb.name === 'alpha'],
        ['not-tags=red,blue&admin_state_up=on&name=alpha', (lb) => !has(lb, 'red', 'blue') && lb.admin_state_up && lb.name === 'alpha'],
        ['tags=nosuch', () => false],
      ];
      for (const [q, predicate] of cases) {
        const expected = all.filter(predicate).map((lb) => lb.id);
        if (q !== 'tags=nosuch') {
          assert.ok(expected.length > 0 && expected.length < all.length, `${q} should select some but not all`);
        }
        assert.deepEqual(await walkIds(`${BASE}?${q}`), expected, q);
      }
      // Pages of a tag-filtered list hold only matches: the filter travels in the links.
      const blueOrGreen = all.filter((lb) => hasAny(lb, 'blue', 'green')).map((lb) => lb.id);
      assert.ok(blueOrGreen.length > 2);
      assert.deepEqual(await walkIds(`${BASE}?tags-any=blue,green&limit=2`), blueOrGreen);
    });

    test('fields=id&fields=name keeps only those keys on list and show; unknown names give {}', async () => {
      const { bodies } = await walk(`${BASE}?fields=id&fields=name&limit=3`);
      const objects = bodies.flatMap((b) => b.loadbalancers);
      assert.deepEqual(
        objects,
        all.map((lb) => ({ id: lb.id, name: lb.name })),
      );

      const one = all[0];
      const show = await app.request('GET', `${BASE}/${one.id}?fields=id&fields=name`);
      assert.equal(show.status, 200);
      assert.deepEqual(show.body, { loadbalancer: { id: one.id, name: one.name } });
      const tenant = await app.request('GET', `${BASE}/${one.id}?fields=tenant_id`);
      assert.deepEqual(tenant.body, { loadbalancer: { tenant_id: one.project_id } });

      for (const fields of ['fields=bogus', 'fields=id,name', 'fields=constructor']) {
        const list = await get(`${BASE}?${fields}`);
        assert.equal(list.loadbalancers.length, CAP, fields);
        for (const obj of list.loadbalancers) assert.deepEqual(obj, {}, fields);
        assert.equal(list.loadbalancers_links.length, 1, fields);
        const single = await app.request('GET', `${BASE}/${one.id}?${fields}`);
        assert.equal(single.status, 200);
        assert.deepEqual(single.body, { loadbalancer: {} }, fields);
      }
    });
  });
}
