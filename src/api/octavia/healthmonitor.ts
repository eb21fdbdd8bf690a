// Health monitor ⇄ Octavia JSON (docs/octavia-compatibility.md §5.6). The response names its pool as `pools: [{id}]`.
import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { HealthMonitorTable } from '../../db/schema.ts';
import { HEALTH_MONITOR_TYPES, HTTP_METHODS, LIMITS } from '../../model/enums.ts';
import type { MonitorSettings } from '../../model/health-monitor.ts';
import { baseFields, text } from './common.ts';
import { AdminStateUp, Name, Nullable, Strict, StringEnum, Tags, Type, Uuid, Wrapped, ProjectFields } from './schema-types.ts';

export type HealthMonitorRow = Selectable<HealthMonitorTable>;

// Seconds, stored as int4.
const Seconds = Type.Integer({ minimum: 0, maximum: 2_147_483_647 });
const Retries = Type.Integer({ minimum: LIMITS.retries.min, maximum: LIMITS.retries.max });
// Starts with one "/" (two would name a host), no whitespace, so no scheme or host either.
// No NUL, which PostgreSQL text cannot store.
const UrlPath = Type.String({ maxLength: 2048, pattern: '^/(?!/)[^\\s\\u0000]*$' });
const ExpectedCodes = Type.String({ pattern: '^(\\d{3}(\\s*,\\s*\\d{3})*)$|^(\\d{3}-\\d{3})$' });
const HttpVersion = Type.Unsafe<number>({ type: 'number', enum: [1.0, 1.1] });
// Octavia's DOMAIN_NAME_REGEX: dot-separated labels of 1–63 characters, no label starting or
// ending with "-", "_" only where no label follows.
const DomainName = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^(?=.{1,253}\\.?$)(?:(?!-|[^.]+_)[A-Za-z0-9_-]{1,63}(?<!-)(?:\\.|$))+$',
});

const OptionalFields = {
  name: Type.Optional(Nullable(Name)),
  admin_state_up: Type.Optional(AdminStateUp),
  max_retries_down: Type.Optional(Nullable(Retries)),
  http_method: Type.Optional(Nullable(StringEnum(HTTP_METHODS))),
  url_path: Type.Optional(Nullable(UrlPath)),
  expected_codes: Type.Optional(Nullable(ExpectedCodes)),
  http_version: Type.Optional(Nullable(HttpVersion)),
  domain_name: Type.Optional(Nullable(DomainName)),
  tags: Type.Optional(Tags),
};

export const HealthMonitorCreate = Wrapped(
  'healthmonitor',
  Strict({
    ...OptionalFields,
    pool_id: Uuid,
    type: StringEnum(HEALTH_MONITOR_TYPES),
    delay: Seconds,
    timeout: Seconds,
    max_retries: Retries,
    ...ProjectFields,
  }),
);

export const HealthMonitorUpdate = Wrapped(
  'healthmonitor',
  Strict({
    ...OptionalFields,
    delay: Type.Optional(Nullable(Seconds)),
    timeout: Type.Optional(Nullable(Seconds)),
    max_retries: Type.Optional(Nullable(Retries)),
  }),
);

/** http_version is stored as a float4, which may not read back as exactly 1.1. */
function httpVersion(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}

export function monitorSettings(row: HealthMonitorRow): MonitorSettings {
  return {
    type: row.type,
    delay: row.delay,
    timeout: row.timeout,
    max_retries: row.max_retries,
    max_retries_down: row.max_retries_down,
    http_method: row.http_method,
    url_path: row.url_path,
    expected_codes: row.expected_codes,
    http_version: httpVersion(row.http_version),
    domain_name: row.domain_name,
  };
}

export async function serializeHealthMonitors(_db: Db, rows: HealthMonitorRow[]) {
  return rows.map((row) => ({
    ...baseFields(row),
    name: text(row.name),
    ...monitorSettings(row),
    pools: [{ id: row.pool_id }],
  }));
}
