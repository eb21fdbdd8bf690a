// Health monitor field rules (docs/octavia-compatibility.md §5.6, §6.2): which fields a monitor type takes, the
// HTTP defaults, what null resets to on update, and the checks across fields. Pure.
import { InvalidOption, ValidationFailure } from '../errors.ts';
import { checkPoolMonitorType } from './protocol-rules.ts';

export interface MonitorSettings {
  type: string;
  delay: number;
  timeout: number;
  max_retries: number;
  max_retries_down: number;
  http_method: string | null;
  url_path: string | null;
  expected_codes: string | null;
  http_version: number | null;
  domain_name: string | null;
}

type Nullable<T> = { [K in keyof T]?: T[K] | null };

export type MonitorCreateInput = Pick<MonitorSettings, 'type' | 'delay' | 'timeout' | 'max_retries'> &
  Nullable<Omit<MonitorSettings, 'type' | 'delay' | 'timeout' | 'max_retries'>>;

export type MonitorUpdateInput = Nullable<Omit<MonitorSettings, 'type'>>;

const HTTP_FIELDS = ['http_method', 'url_path', 'expected_codes'] as const;
const HTTP_DEFAULTS = { http_method: 'GET', url_path: '/', expected_codes: '200' } as const;
const DEFAULT_MAX_RETRIES_DOWN = 3;
/** Octavia's `udp_connect_min_interval_health_monitor` operator setting, at its default. */
const UDP_CONNECT_MIN_DELAY = 3;

const REQUIRED_ON_UPDATE = ['delay', 'timeout', 'max_retries'] as const;
// What an explicit null on update stands for; fields not listed here cannot be null.
const NULL_MEANS = { max_retries_down: DEFAULT_MAX_RETRIES_DOWN, ...HTTP_DEFAULTS, http_version: null, domain_name: null };
const UPDATABLE = [...REQUIRED_ON_UPDATE, ...(Object.keys(NULL_MEANS) as (keyof typeof NULL_MEANS)[])];

function isHttpType(type: string): boolean {
  return type === 'HTTP' || type === 'HTTPS';
}

function rejectHttpFields(type: string, input: Record<string, unknown>, given: (value: unknown) => boolean): void {
  for (const field of HTTP_FIELDS) {
    if (given(input[field])) throw new InvalidOption(field, `health monitors of type ${type}`);
  }
}

function checkAcrossFields(s: MonitorSettings): void {
  if (s.type === 'UDP-CONNECT' && s.delay < UDP_CONNECT_MIN_DELAY) {
    throw new ValidationFailure(
      `The request delay value ${s.delay} should be larger than ${UDP_CONNECT_MIN_DELAY} for UDP-CONNECT health monitor type.`,
    );
  }
  if (s.domain_name === null) return;
  if (s.http_version === null) throw new ValidationFailure("'http_version' must be specified when 'domain_name' is provided.");
  if (s.http_version < 1.1) {
    throw new InvalidOption(`http_version ${s.http_version.toFixed(1)}`, 'health monitors HTTP 1.1 domain name health check');
  }
}

/** The settings of a new monitor on a pool of `poolProtocol`, defaults filled in. */
export function newMonitorSettings(input: MonitorCreateInput, poolProtocol: string): MonitorSettings {
  checkPoolMonitorType(poolProtocol, input.type);
  const http = isHttpType(input.type);
  // On create Octavia only refuses HTTP fields that carry a value; null is as good as absent.
  if (!http) rejectHttpFields(input.type, input, (v) => v !== undefined && v !== null);
  const settings: MonitorSettings = {
    type: input.type,
    delay: input.delay,
    timeout: input.timeout,
    max_retries: input.max_retries,
    max_retries_down: input.max_retries_down ?? DEFAULT_MAX_RETRIES_DOWN,
    http_method: http ? (input.http_method ?? HTTP_DEFAULTS.http_method) : null,
    url_path: http ? (input.url_path ?? HTTP_DEFAULTS.url_path) : null,
    expected_codes: http ? (input.expected_codes ?? HTTP_DEFAULTS.expected_codes) : null,
    http_version: input.http_version ?? null,
    domain_name: input.domain_name ?? null,
  };
  checkAcrossFields(settings);
  return settings;
}

/** The fields an update changes, null resolved to its default; checked against the merged result. */
export function monitorChanges(current: MonitorSettings, input: MonitorUpdateInput): Partial<MonitorSettings> {
  // On update any mention of an HTTP field on another type is refused, null included.
  if (!isHttpType(current.type)) rejectHttpFields(current.type, input, (v) => v !== undefined);
  for (const field of REQUIRED_ON_UPDATE) {
    if (input[field] === null) throw new InvalidOption('None', field);
  }
  const changes: Record<string, unknown> = {};
  for (const field of UPDATABLE) {
    const value = input[field];
    if (value !== undefined) changes[field] = value ?? NULL_MEANS[field as keyof typeof NULL_MEANS];
  }
  checkAcrossFields({ ...current, ...changes });
  return changes as Partial<MonitorSettings>;
}
