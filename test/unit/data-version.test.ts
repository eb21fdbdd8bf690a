// Which statement results move the embedded database's data version, and the read cache that
// trusts it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { changesData } from '../../src/db/data-version.ts';
import { readCacheOf } from '../../src/api/read-cache.ts';

describe('data version: what counts as a change', () => {
  it('row writes count when they touched a row', () => {
    assert.equal(changesData('update job set state = $1', { command: 'UPDATE', rowCount: 0 }), false);
    assert.equal(changesData('update job set state = $1', { command: 'UPDATE', rowCount: 2 }), true);
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
    assert.equal(changesData('with c as (delete from job where id = $1 returning id) select * from c', { command: 'SELECT', rowCount: 0 }), true);
    assert.equal(changesData('with c as (update job set x = 1 returning id) select id from c', { command: 'SELECT', rowCount: 1 }), true);
    assert.equal(changesData('select id, updated_at from load_balancer where id = $1', { command: 'SELECT', rowCount: 1 }), false);
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
