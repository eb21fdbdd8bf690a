// Which statement results move the embedded database's data version, and the read cache that
// trusts it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { changesData, UNCACHED_TABLES } from '../../src/db/data-version.ts';
import { readCacheOf } from '../../src/api/read-cache.ts';

describe('data version: what counts as a change', () => {
  it('row writes count when they touched a row', () => {
    assert.equal(changesData('update member set weight = $1', { command: 'UPDATE', rowCount: 0 }), false);
    assert.equal(changesData('update member set weight = $1', { command: 'UPDATE', rowCount: 2 }), true);
    assert.equal(changesData('insert into lb values ($1)', { command: 'INSERT', rowCount: 1 }), true);
    assert.equal(changesData('delete from lb', { command: 'DELETE', rowCount: 0 }), false);
    assert.equal(changesData('delete from lb', { command: 'DELETE', rowCount: null }), true, 'an unknown count is a change');
  });

  it('reads and transaction control do not; anything unknown does', () => {
    for (const command of ['SELECT', 'BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'SET', 'LISTEN']) {
      assert.equal(changesData('select 1', { command, rowCount: 0 }), false, command);
    }
    for (const command of ['CREATE', 'ALTER', 'DROP', 'TRUNCATE', 'COPY', '', null]) {
      assert.equal(changesData('x', { command, rowCount: 0 }), true, String(command));
    }
  });

  it('a SELECT that carries a write (a data-modifying CTE) counts', () => {
    assert.equal(changesData('with c as (delete from member where id = $1 returning id) select * from c', { command: 'SELECT', rowCount: 0 }), true);
    assert.equal(changesData('with c as (update pool set x = 1 returning id) select id from c', { command: 'SELECT', rowCount: 1 }), true);
    assert.equal(changesData('select id, updated_at from load_balancer where id = $1', { command: 'SELECT', rowCount: 1 }), false);
  });
});

describe('data version: bookkeeping writes', () => {
  it('writes that touch only tables no cached answer reads leave the version alone', () => {
    const upsert = 'insert into amphora_health (amphora_id, last_seen) select b.id, now() from b on conflict (amphora_id) do update set last_seen = now()';
    assert.equal(changesData(upsert, { command: 'INSERT', rowCount: 500 }), false, 'the `do update` is not a target');
    assert.equal(changesData('update "host" set "last_seen_at" = now() where "id" in ($1)', { command: 'UPDATE', rowCount: 1 }), false);
    const claim = 'with c as (select id from job where state = $1 for update skip locked limit 1) update job set state = $2 from c';
    assert.equal(changesData(claim, { command: 'UPDATE', rowCount: 1 }), false, 'the `for update` is not a target');
    assert.equal(changesData('select "open" from "failover_breaker" where "domain" = $1 for no key update', { command: 'SELECT', rowCount: 1 }), false);
  });

  it('a statement that also writes a cached table counts, as does one whose target is unknown', () => {
    assert.equal(changesData('with h as (update amphora_health set fault = null returning amphora_id) update "load_balancer" set x = 1', { command: 'UPDATE', rowCount: 1 }), true);
    assert.equal(changesData('update "load_balancer" set "operating_status" = $1', { command: 'UPDATE', rowCount: 1 }), true);
    assert.equal(changesData('insert into "event" ("type") values ($1)', { command: 'INSERT', rowCount: 1 }), true);
    assert.equal(changesData('merge into x using y on true when matched then do nothing', { command: 'MERGE', rowCount: 1 }), true);
  });

  it('no code that builds a cached answer reads an uncached table', () => {
    // The cached answers are built in the resource routes, their specs and the Octavia serializers.
    const root = join(import.meta.dirname, '../../src/api');
    const files = [
      ...readdirSync(join(root, 'resources')).map((f) => join(root, 'resources', f)),
      ...readdirSync(join(root, 'octavia')).map((f) => join(root, 'octavia', f)),
      join(root, 'resource.ts'),
      join(root, 'resource-specs.ts'),
      join(root, 'fulcrum', 'certificates.ts'),
    ].filter((f) => f.endsWith('.ts'));
    const reads = /(?:selectFrom|innerJoin|leftJoin|rightJoin|fullJoin)\(\s*'([a-z_]+)'|\b(?:from|join)\s+"?([a-z_]+)"?\s/g;
    // Reads of routes that answer fresh, not through the cache.
    const fresh = new Set(['resources/amphorae.ts reads listener_statistics']);
    const found: string[] = [];
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(reads)) {
        const table = m[1] ?? m[2];
        const read = `${file.slice(root.length + 1)} reads ${table}`;
        if (UNCACHED_TABLES.has(table) && !fresh.has(read)) found.push(read);
      }
    }
    assert.deepEqual(found, []);
  });
});

describe('read cache', () => {
  it('serves an entry only at the version it was read at, and drops all on a new version', () => {
    const cache = readCacheOf<string>({});
    assert.equal(cache.get('a', 1), undefined);
    cache.set('a', 1, 'one');
    assert.equal(cache.get('a', 1), 'one');
    assert.equal(cache.get('a', 2), undefined, 'a write happened');
    cache.set('a', 1, 'stale');
    assert.equal(cache.get('a', 2), undefined, 'a value read before the write is not kept');
  });

  it('keeps one cache per owner object', () => {
    const a = readCacheOf<string>({});
    const b = readCacheOf<string>({});
    a.get('k', 1);
    a.set('k', 1, 'a');
    assert.equal(b.get('k', 1), undefined);
  });

  it('is bounded', () => {
    const cache = readCacheOf<number>({});
    cache.get('k0', 7);
    for (let i = 0; i < 2_100; i++) cache.set(`k${i}`, 7, i);
    assert.equal(cache.get('k0', 7), undefined, 'the oldest went first');
    assert.equal(cache.get('k2099', 7), 2099);
  });
});
