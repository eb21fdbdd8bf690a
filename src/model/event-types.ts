// The catalogue of events (issue: observability): every type Fulcrum records, its severity, and
// which operating-status changes are worth one. Pure.
import type { OperatingStatus } from './enums.ts';

export type Severity = 'info' | 'warning' | 'error';

/** The object kinds whose operating status health data sets. */
export type MonitoredObject = 'loadbalancer' | 'listener' | 'pool' | 'member';
const MONITORED: readonly MonitoredObject[] = ['loadbalancer', 'listener', 'pool', 'member'];

/** The operating statuses an event is recorded for, as the suffix of its type. */
const STATUS_SUFFIX: Partial<Record<OperatingStatus, string>> = { ONLINE: 'online', DEGRADED: 'degraded', ERROR: 'error', OFFLINE: 'offline' };
const STATUS_SEVERITY: Record<string, Severity> = { online: 'info', degraded: 'warning', error: 'error', offline: 'warning' };

export const EVENT_TYPES: Record<string, Severity> = {
  'provisioning.error': 'error',
  ...Object.fromEntries(MONITORED.flatMap((o) => Object.entries(STATUS_SEVERITY).map(([s, sev]) => [`${o}.${s}`, sev]))),
  'failover.started': 'warning',
  'failover.finished': 'info',
  'failover.failed': 'error',
  'circuit_breaker.tripped': 'error',
  'circuit_breaker.reset': 'info',
  'host.online': 'info',
  'host.offline': 'error',
  'host.certificate_renewal_failing': 'error',
  'host.admin_state': 'info',
  'certificate.expiring': 'warning',
  'quota.reached': 'warning',
  'listener.refusing': 'warning',
  'listener.refusing_stopped': 'info',
};

/** An operator changed a host's admin_state (ENABLED, DISABLED, DRAINING). */
export const HOST_ADMIN_STATE = 'host.admin_state';

/** A listener's amphora refuses clients at a high rate (protection, allowed_cidrs), and when it calms. */
export const LISTENER_REFUSING = 'listener.refusing';
export const LISTENER_REFUSING_STOPPED = 'listener.refusing_stopped';

export type EventType = keyof typeof EVENT_TYPES;

export function isEventType(value: string): boolean {
  return Object.hasOwn(EVENT_TYPES, value);
}

export function severityOf(type: string): Severity {
  return Object.hasOwn(EVENT_TYPES, type) ? EVENT_TYPES[type] : 'info';
}

/**
 * The event type of an operating-status change reported by health data, or null when it is not
 * worth one: no change, a status nobody alerts on (NO_MONITOR, DRAINING), or ONLINE reached
 * from anything but ERROR or DEGRADED: objects start OFFLINE, so OFFLINE to ONLINE is mostly a
 * new object's first report, not a recovery (an LB back from OFFLINE after a failover has its
 * failover.finished event).
 */
export function operatingStatusEvent(object: string, before: string | null, after: string): string | null {
  if (!(MONITORED as readonly string[]).includes(object) || before === after) return null;
  const suffix = STATUS_SUFFIX[after as OperatingStatus];
  if (!suffix) return null;
  if (suffix === 'online' && !(before === 'ERROR' || before === 'DEGRADED')) return null;
  // An object that has never been healthy going OFFLINE is the start of its life, not news.
  if (suffix === 'offline' && !(before === 'ONLINE' || before === 'DEGRADED' || before === 'ERROR')) return null;
  return `${object}.${suffix}`;
}
