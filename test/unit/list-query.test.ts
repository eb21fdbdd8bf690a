// The list query parser (docs/octavia-compatibility.md §3) on its own: pagination, sorting, filters, tag filters
// and field selection, and the exact 400 messages clients see for bad input.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseListQuery, selectFields, type ListAttributes, type RawQuery } from '../../src/model/list-query.ts';
import { InvalidListQuery } from '../../src/errors.ts';

// A resource with one attribute of each filter type, and API names that differ from their
// columns, so renames are visible in the parsed result.
const ATTRS: ListAttributes = {
  id: { column: 'id', type: 'uuid' },
  name: { column: 'name', type: 'string' },
  project_id: { column: 'project_id', type: 'string' },
  provisioning_status: { column: 'provisioning_status', type: 'string' },
  admin_state_up: { column: 'enabled', type: 'bool' },
  protocol_port: { column: 'port', type: 'int' },
  vip_subnet_id: { column: 'vip_subnet', type: 'uuid' },
  created_at: { column: 'created_at', type: 'time' },
};
const MAX = 1000;
const DUPLICATE_OR_INVALID = 'One or more arguments are either duplicate or invalid';
const UUID = '0b9f6c0e-1d2e-4f1a-9f0a-1b2c3d4e5f60';

function parse(query: RawQuery, options = { tags: true }, maxLimit = MAX) {
  return parseListQuery(query, ATTRS, maxLimit, options);
}

function rejects(query: RawQuery, message: string, options = { tags: true }): void {
  assert.throws(
    () => parse(query, options),
    (err: unknown) => {
      assert.ok(err instanceof InvalidListQuery, `expected InvalidListQuery, got ${String(err)}`);
      assert.equal(err.status, 400);
      assert.equal(err.message, message);
      return true;
    },
    JSON.stringify(query),
  );
}

describe('parseListQuery: pagination', () => {
  test('without parameters: the cap as page size, default sort, nothing selected', () => {
    const q = parse({});
    assert.equal(q.limit, MAX);
    assert.equal(q.marker, null);
    assert.equal(q.pageReverse, false);
    assert.equal(q.fields, null);
    assert.equal(q.sortParam, null);
    assert.deepEqual(q.filters, []);
    assert.deepEqual(q.tags, { all: [], any: [], notAll: [], notAny: [] });
    assert.deepEqual(q.sort, [
      { column: 'created_at', dir: 'asc' },
      { column: 'id', dir: 'asc' },
    ]);
  });

  test('limit is taken as given below the cap and silently clamped above it', () => {
    assert.equal(parse({ limit: '5' }).limit, 5);
    assert.equal(parse({ limit: '1000' }).limit, 1000);
    assert.equal(parse({ limit: '1001' }).limit, 1000);
    assert.equal(parse({ limit: '99999999999999999999999' }).limit, 1000);
    assert.equal(parse({ limit: '30' }, { tags: true }, 20).limit, 20);
  });

  test('limit <= 0 means unlimited, which is still the cap (Octavia answers 500)', () => {
    assert.equal(parse({ limit: '0' }).limit, MAX);
    assert.equal(parse({ limit: '-1' }).limit, MAX);
    assert.equal(parse({ limit: '-7' }, { tags: true }, 25).limit, 25);
  });

  test('a limit that is not an integer is a 400 naming the value', () => {
    for (const bad of ['abc', '1.5', '', '5x', '0x10', '1e3']) {
      rejects({ limit: bad }, `Supplied pagination limit '${bad}' is not valid.`);
    }
  });

  test('limit, marker and page_reverse may not be repeated', () => {
    rejects({ limit: ['1', '2'] }, DUPLICATE_OR_INVALID);
    rejects({ marker: [UUID, UUID] }, DUPLICATE_OR_INVALID);
    rejects({ page_reverse: ['True', 'True'] }, DUPLICATE_OR_INVALID);
  });

  test('a marker must be a UUID; it is normalised to lower case', () => {
    assert.equal(parse({ marker: UUID.toUpperCase() }).marker, UUID);
    for (const bad of ['nope', '', `${UUID}0`, '../etc']) {
      rejects({ marker: bad }, `Supplied pagination marker '${bad}' is not valid.`);
    }
  });

  test('only the exact string True turns page_reverse on', () => {
    assert.equal(parse({ page_reverse: 'True' }).pageReverse, true);
    for (const other of ['true', 'TRUE', '1', 'yes', 'False']) assert.equal(parse({ page_reverse: other }).pageReverse, false, other);
  });
});

describe('parseListQuery: sorting', () => {
  test('sort=a:desc,b gives each key its direction (asc by default), in API-to-column terms', () => {
    const q = parse({ sort: 'name:desc,admin_state_up' });
    assert.deepEqual(q.sort, [
      { column: 'name', dir: 'desc' },
      { column: 'enabled', dir: 'asc' },
      { column: 'created_at', dir: 'desc' },
      { column: 'id', dir: 'desc' },
    ]);
    assert.equal(q.sortParam, 'name:desc,admin_state_up:asc');
  });

  test('repeated sort parameters add up like a comma list', () => {
    assert.deepEqual(parse({ sort: ['name:desc', 'protocol_port'] }).sort.slice(0, 2), [
      { column: 'name', dir: 'desc' },
      { column: 'port', dir: 'asc' },
    ]);
  });

  test('legacy sort_key/sort_dir pair up by position; missing directions are asc', () => {
    const q = parse({ sort_key: 'name,protocol_port,provisioning_status', sort_dir: 'desc,asc' });
    assert.deepEqual(q.sort, [
      { column: 'name', dir: 'desc' },
      { column: 'port', dir: 'asc' },
      { column: 'provisioning_status', dir: 'asc' },
      { column: 'created_at', dir: 'desc' },
      { column: 'id', dir: 'desc' },
    ]);
    // Links re-emit the legacy form as the equivalent `sort=`.
    assert.equal(q.sortParam, 'name:desc,protocol_port:asc,provisioning_status:asc');
    assert.deepEqual(parse({ sort_key: 'name' }).sort[0], { column: 'name', dir: 'asc' });
  });

  test('sort_dir alone orders by creation time', () => {
    assert.deepEqual(parse({ sort_dir: 'desc' }).sort, [
      { column: 'created_at', dir: 'desc' },
      { column: 'id', dir: 'desc' },
    ]);
  });

  test('sort_dir next to sort= is ignored, as Octavia does', () => {
    assert.deepEqual(parse({ sort: 'name', sort_dir: 'desc' }).sort, [
      { column: 'name', dir: 'asc' },
      { column: 'created_at', dir: 'asc' },
      { column: 'id', dir: 'asc' },
    ]);
  });

  test('directions are case-insensitive, as Octavia lowercases them', () => {
    assert.equal(parse({ sort: 'name:DESC' }).sort[0].dir, 'desc');
    assert.equal(parse({ sort_key: 'name', sort_dir: 'Asc' }).sort[0].dir, 'asc');
  });

  test('created_at and id break ties, appended only when not already sort keys', () => {
    assert.deepEqual(parse({ sort: 'name' }).sort.slice(1), [
      { column: 'created_at', dir: 'asc' },
      { column: 'id', dir: 'asc' },
    ]);
    assert.deepEqual(parse({ sort: 'id:desc' }).sort, [
      { column: 'id', dir: 'desc' },
      { column: 'created_at', dir: 'desc' },
    ]);
    assert.deepEqual(parse({ sort: 'created_at:asc,id:desc' }).sort, [
      { column: 'created_at', dir: 'asc' },
      { column: 'id', dir: 'desc' },
    ]);
  });

  test('an unknown sort key is a 400 naming it, including Object.prototype names', () => {
    for (const bad of ['bogus', 'tags', '', 'constructor', '__proto__', 'hasOwnProperty']) {
      rejects({ sort: bad }, `Supplied sort key '${bad}' is not valid.`);
      rejects({ sort_key: bad || 'x' }, `Supplied sort key '${bad || 'x'}' is not valid.`);
    }
    rejects({ sort: 'name:desc:extra' }, "Supplied sort key 'name:desc:extra' is not valid.");
    // The admin_state_up column is called enabled; only the API name is a key.
    rejects({ sort: 'enabled' }, "Supplied sort key 'enabled' is not valid.");
  });

  test('a direction other than asc/desc is a 400 naming it', () => {
    rejects({ sort: 'name:sideways' }, "Supplied sort direction 'sideways' is not valid.");
    rejects({ sort: 'name:' }, "Supplied sort direction '' is not valid.");
    rejects({ sort_key: 'name', sort_dir: 'up' }, "Supplied sort direction 'up' is not valid.");
    rejects({ sort_dir: 'down' }, "Supplied sort direction 'down' is not valid.");
  });

  test('sort and sort_key together are ambiguous', () => {
    rejects({ sort: 'name', sort_key: 'id' }, DUPLICATE_OR_INVALID);
  });
});

describe('parseListQuery: filters', () => {
  test('attribute filters are exact matches on the storage column', () => {
    const q = parse({ name: 'web', provisioning_status: 'ACTIVE', protocol_port: '80' });
    assert.deepEqual(q.filters, [
      { column: 'name', value: 'web' },
      { column: 'provisioning_status', value: 'ACTIVE' },
      { column: 'port', value: 80 },
    ]);
  });

  test('an unknown parameter is a 400, whatever its name', () => {
    for (const key of ['bogus', 'enabled', 'vip_address', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      rejects({ [key]: 'x' }, DUPLICATE_OR_INVALID);
    }
  });

  test('a filter given twice is a 400 (duplicate)', () => {
    rejects({ name: ['a', 'b'] }, DUPLICATE_OR_INVALID);
  });

  test('booleans accept true/false, 1/0, yes/no, on/off in any case', () => {
    for (const raw of ['true', 'True', 'TRUE', '1', 'yes', 'YES', 'on', 'On']) {
      assert.deepEqual(parse({ admin_state_up: raw }).filters, [{ column: 'enabled', value: true }], raw);
    }
    for (const raw of ['false', 'False', '0', 'no', 'No', 'off', 'OFF']) {
      assert.deepEqual(parse({ admin_state_up: raw }).filters, [{ column: 'enabled', value: false }], raw);
    }
    for (const raw of ['maybe', '', '2', 't']) {
      rejects({ admin_state_up: raw }, `Invalid input for field/attribute admin_state_up. Value: '${raw}'.`);
    }
  });

  test('a malformed UUID can match nothing (value null), it is not an error', () => {
    assert.deepEqual(parse({ vip_subnet_id: 'not-a-uuid' }).filters, [{ column: 'vip_subnet', value: null }]);
    assert.deepEqual(parse({ vip_subnet_id: UUID.toUpperCase() }).filters, [{ column: 'vip_subnet', value: UUID }]);
  });

  test('integers must look like integers; ones too big to be exact match nothing', () => {
    rejects({ protocol_port: 'eighty' }, "Invalid input for field/attribute protocol_port. Value: 'eighty'.");
    assert.deepEqual(parse({ protocol_port: '-1' }).filters, [{ column: 'port', value: -1 }]);
    assert.deepEqual(parse({ protocol_port: '99999999999' }).filters, [{ column: 'port', value: 99999999999 }]);
    assert.deepEqual(parse({ protocol_port: '99999999999999999999' }).filters, [{ column: 'port', value: null }]);
  });

  test('timestamps are naive UTC; unparseable or out-of-range ones match nothing', () => {
    const at = (raw: string) => parse({ created_at: raw }).filters[0].value;
    assert.equal(at('2024-01-02T03:04:05'), '2024-01-02T03:04:05.000Z');
    assert.equal(at('2024-01-02T03:04:05.678'), '2024-01-02T03:04:05.678Z');
    assert.equal(at('2024-01-02T03:04:05Z'), '2024-01-02T03:04:05.000Z');
    assert.equal(at('2024-01-02T04:04:05+01:00'), '2024-01-02T03:04:05.000Z');
    assert.equal(at('yesterday'), null);
    // JavaScript dates reach years PostgreSQL cannot read back as ISO text.
    assert.equal(at('+099999-01-01T00:00:00'), null);
  });

  test('a string with a NUL in it matches nothing (PostgreSQL text cannot hold it)', () => {
    assert.deepEqual(parse({ name: 'a\u0000b' }).filters, [{ column: 'name', value: null }]);
  });

  test('tenant_id is an alias of project_id, and the project is reported for scoping', () => {
    const q = parse({ tenant_id: 'p1' });
    assert.deepEqual(q.filters, [{ column: 'project_id', value: 'p1' }]);
    assert.equal(q.projectId, 'p1');
    assert.equal(parse({ project_id: 'p2' }).projectId, 'p2');
    assert.equal(parse({}).projectId, null);
  });

  test('tag filters: comma lists and repeats add up, empty items are dropped', () => {
    const q = parse({ tags: ['a,b', 'c'], 'tags-any': 'd,,e', 'not-tags': ['f', 'g'], 'not-tags-any': 'h' });
    assert.deepEqual(q.tags, { all: ['a', 'b', 'c'], any: ['d', 'e'], notAll: ['f', 'g'], notAny: ['h'] });
    assert.deepEqual(q.filters, []);
  });

  test('tag filters are unknown parameters on resources without tags', () => {
    for (const key of ['tags', 'tags-any', 'not-tags', 'not-tags-any']) rejects({ [key]: 'a' }, DUPLICATE_OR_INVALID, { tags: false });
  });
});

describe('field selection', () => {
  const obj = { id: 'i', name: 'n', project_id: 'p', tenant_id: 'p', tags: ['t'] };

  test('fields may be repeated and are not split on commas', () => {
    assert.deepEqual(parse({ fields: ['id', 'name'] }).fields, ['id', 'name']);
    assert.deepEqual(parse({ fields: 'id,name' }).fields, ['id,name']);
    assert.equal(parse({}).fields, null);
  });

  test('selectFields keeps exactly the requested keys', () => {
    assert.equal(selectFields(obj, null), obj);
    assert.deepEqual(selectFields(obj, ['id', 'name']), { id: 'i', name: 'n' });
    assert.deepEqual(selectFields(obj, ['project_id']), { project_id: 'p' });
    assert.deepEqual(selectFields(obj, ['tenant_id']), { tenant_id: 'p' });
  });

  test('unknown names (and comma lists) select nothing, so the object is empty', () => {
    for (const fields of [['bogus'], ['id,name'], ['constructor', 'toString', '__proto__']]) {
      const out = selectFields(obj, fields);
      assert.deepEqual(Object.keys(out), [], fields.join());
      assert.equal(Object.getPrototypeOf(out), Object.prototype);
      assert.equal(JSON.stringify(out), '{}');
    }
  });
});
