// Parses a collection GET's query string (docs/octavia-compatibility.md §3): filters, tag filters, sorting,
// pagination and field selection. Pure: it only reads the parameters and the resource's list
// of filterable attributes.
import { InvalidListQuery } from '../errors.ts';

export type FilterType = 'string' | 'int' | 'bool' | 'uuid' | 'time';

/** An API attribute that can be filtered and sorted on, and the column that stores it. */
export interface ListAttribute {
  column: string;
  type: FilterType;
}

export type ListAttributes = Record<string, ListAttribute>;

export interface Filter {
  column: string;
  /** null: the value can never match (e.g. a malformed UUID), so the list is empty. */
  value: string | number | boolean | null;
}

export interface SortKey {
  column: string;
  dir: 'asc' | 'desc';
}

export interface ListQuery {
  filters: Filter[];
  tags: { all: string[]; any: string[]; notAll: string[]; notAny: string[] };
  sort: SortKey[];
  /** The API names of the sort keys as given, for pagination links. */
  sortParam: string | null;
  limit: number;
  marker: string | null;
  pageReverse: boolean;
  fields: string[] | null;
  projectId: string | null;
}

const CONTROL = new Set(['limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'fields', 'page_reverse']);
const TAG_PARAMS = { tags: 'all', 'tags-any': 'any', 'not-tags': 'notAll', 'not-tags-any': 'notAny' } as const;
const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export type RawQuery = Record<string, string | string[] | undefined>;

function values(raw: string | string[] | undefined): string[] {
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
}

function single(query: RawQuery, key: string): string | null {
  const v = values(query[key]);
  if (v.length > 1) throw new InvalidListQuery();
  return v.length === 1 ? v[0] : null;
}

export function parseBool(raw: string): boolean | undefined {
  const v = raw.toLowerCase();
  return TRUE.has(v) ? true : FALSE.has(v) ? false : undefined;
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

// Query keys and sort keys come from the client; a plain `in`/index lookup would find
// Object.prototype members (`constructor`, `__proto__`) and crash further down with a 500.
function own<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** PostgreSQL text cannot hold NUL, so a value containing one can never be stored (or matched). */
export function storable(value: string): boolean {
  return !value.includes('\u0000');
}

// Naive timestamps are UTC (docs/octavia-compatibility.md §1.4). JavaScript accepts years PostgreSQL's input
// syntax does not (`+099999-…`), and those can match no row anyway.
function parseTime(raw: string): string | null {
  const ms = Date.parse(/([zZ]|[+-]\d{2}:?\d{2})$/.test(raw) ? raw : `${raw}Z`);
  if (Number.isNaN(ms)) return null;
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  return year >= 1 && year <= 9999 ? date.toISOString() : null;
}

function filterValue(name: string, attr: ListAttribute, raw: string): Filter['value'] {
  switch (attr.type) {
    case 'bool': {
      const b = parseBool(raw);
      if (b === undefined) throw new InvalidListQuery(`Invalid input for field/attribute ${name}. Value: '${raw}'.`);
      return b;
    }
    case 'int': {
      if (!/^-?\d+$/.test(raw)) throw new InvalidListQuery(`Invalid input for field/attribute ${name}. Value: '${raw}'.`);
      // Past 2^53 the number is not exact; no row has such a value (ids are bigserial).
      const n = Number(raw);
      return Number.isSafeInteger(n) ? n : null;
    }
    case 'uuid':
      return isUuid(raw) ? raw.toLowerCase() : null;
    case 'time':
      return parseTime(raw);
    default:
      return storable(raw) ? raw : null;
  }
}

function parseSort(query: RawQuery, attrs: ListAttributes): { keys: SortKey[]; param: string | null } {
  const pairs: { name: string; dir: string }[] = [];
  const sort = values(query.sort);
  const legacyKeys = values(query.sort_key).flatMap((v) => v.split(','));
  const legacyDirs = values(query.sort_dir).flatMap((v) => v.split(','));
  if (sort.length > 0 && legacyKeys.length > 0) throw new InvalidListQuery();
  for (const item of sort.flatMap((v) => v.split(','))) {
    const parts = item.split(':');
    if (parts.length > 2) throw new InvalidListQuery(`Supplied sort key '${item}' is not valid.`);
    pairs.push({ name: parts[0], dir: (parts[1] ?? 'asc').toLowerCase() });
  }
  for (const [i, name] of legacyKeys.entries()) pairs.push({ name, dir: (legacyDirs[i] ?? 'asc').toLowerCase() });
  // sort_dir belongs to the legacy form; next to `sort=` it is ignored, as Octavia does.
  if (sort.length === 0 && legacyKeys.length === 0 && legacyDirs.length > 0) {
    pairs.push({ name: 'created_at', dir: legacyDirs[0].toLowerCase() });
  }
  const keys: SortKey[] = [];
  for (const { name, dir } of pairs) {
    const attr = own(attrs, name);
    if (!attr) throw new InvalidListQuery(`Supplied sort key '${name}' is not valid.`);
    if (dir !== 'asc' && dir !== 'desc') throw new InvalidListQuery(`Supplied sort direction '${dir}' is not valid.`);
    keys.push({ column: attr.column, dir });
  }
  const param = pairs.length > 0 ? pairs.map((p) => `${p.name}:${p.dir}`).join(',') : null;
  // created_at and id break ties, so pages are stable.
  for (const column of ['created_at', 'id']) {
    if (!keys.some((k) => k.column === column)) keys.push({ column, dir: keys[0]?.dir ?? 'asc' });
  }
  return { keys, param };
}

export function parseListQuery(query: RawQuery, attrs: ListAttributes, maxLimit: number, options: { tags: boolean }): ListQuery {
  const result: ListQuery = {
    filters: [],
    tags: { all: [], any: [], notAll: [], notAny: [] },
    sort: [],
    sortParam: null,
    limit: maxLimit,
    marker: null,
    pageReverse: false,
    fields: null,
    projectId: null,
  };
  for (const [key, raw] of Object.entries(query)) {
    if (raw === undefined || CONTROL.has(key)) continue;
    const tagKind = options.tags ? own<(typeof TAG_PARAMS)[keyof typeof TAG_PARAMS]>(TAG_PARAMS, key) : undefined;
    if (tagKind) {
      const list = values(raw).flatMap((v) => v.split(',')).filter((v) => v.length > 0);
      result.tags[tagKind].push(...list);
      continue;
    }
    const name = key === 'tenant_id' ? 'project_id' : key;
    const attr = own(attrs, name);
    const vs = values(raw);
    if (!attr || vs.length !== 1) throw new InvalidListQuery();
    if (name === 'project_id') result.projectId = vs[0];
    result.filters.push({ column: attr.column, value: filterValue(key, attr, vs[0]) });
  }
  const limit = single(query, 'limit');
  if (limit !== null) {
    if (!/^-?\d+$/.test(limit.trim())) throw new InvalidListQuery(`Supplied pagination limit '${limit}' is not valid.`);
    const n = Number(limit);
    // limit <= 0 means "no limit" (Octavia crashes on it); the cap still applies.
    result.limit = n <= 0 ? maxLimit : Math.min(n, maxLimit);
  }
  const marker = single(query, 'marker');
  if (marker !== null) {
    if (!isUuid(marker)) throw new InvalidListQuery(`Supplied pagination marker '${marker}' is not valid.`);
    result.marker = marker.toLowerCase();
  }
  result.pageReverse = single(query, 'page_reverse') === 'True';
  const fields = values(query.fields);
  if (fields.length > 0) result.fields = fields;
  const sort = parseSort(query, attrs);
  result.sort = sort.keys;
  result.sortParam = sort.param;
  return result;
}

/** Keeps only the requested keys of an API object (docs/octavia-compatibility.md §3.5). */
export function selectFields<T extends Record<string, unknown>>(obj: T, fields: string[] | null): Partial<T> {
  if (!fields) return obj;
  const out: Partial<T> = {};
  for (const f of fields) if (Object.hasOwn(obj, f)) (out as Record<string, unknown>)[f] = obj[f];
  return out;
}
