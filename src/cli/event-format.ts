// How `fulcrum events` shows events and follows new ones. Pure: formatting, and which events of
// a poll are new (events created in the same millisecond as the last one shown may arrive in
// two polls, so the ids already shown at that instant are remembered).
import type { EventView } from '../observability/event-view.ts';
import { table } from './network.ts';

function detailText(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .filter(([k]) => k !== 'loadbalancer_id')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export const EVENT_COLUMNS = ['TIME', 'SEVERITY', 'TYPE', 'LOADBALANCER', 'DETAIL'];

export function eventRow(e: EventView): string[] {
  return [e.created_at, e.severity.toUpperCase(), e.type, e.loadbalancer_id ?? '-', detailText(e.detail)];
}

export function eventTable(events: EventView[]): string {
  return table(EVENT_COLUMNS, events.map(eventRow));
}

/**
 * A transaction that began earlier can commit an event stamped before the newest one shown, so
 * a follow asks again for this much before its newest event and skips the ids it has shown.
 */
export const FOLLOW_OVERLAP_MS = 10_000;

/** Where a follow is: the newest time shown, and the ids shown within the overlap before it. */
export interface FollowCursor {
  newest: string | null;
  recent: Map<string, string>;
}

export function startCursor(): FollowCursor {
  return { newest: null, recent: new Map() };
}

/** API times are UTC without the zone letter. */
function ms(time: string): number {
  return Date.parse(/[zZ]$/.test(time) ? time : `${time}Z`);
}

/** The `since` of the next poll, or null before anything was shown. */
export function followSince(cursor: FollowCursor): string | null {
  return cursor.newest === null ? null : new Date(ms(cursor.newest) - FOLLOW_OVERLAP_MS).toISOString();
}

/** Of `events` (oldest first), those not shown yet, and the cursor after showing them. */
export function advance(cursor: FollowCursor, events: EventView[]): { fresh: EventView[]; cursor: FollowCursor } {
  const fresh = events.filter((e) => !cursor.recent.has(e.id));
  if (fresh.length === 0) return { fresh, cursor };
  let newest = cursor.newest;
  for (const e of fresh) if (newest === null || e.created_at > newest) newest = e.created_at;
  const floor = ms(newest!) - FOLLOW_OVERLAP_MS;
  const recent = new Map<string, string>();
  for (const [id, at] of [...cursor.recent, ...fresh.map((e): [string, string] => [e.id, e.created_at])]) if (ms(at) >= floor) recent.set(id, at);
  return { fresh, cursor: { newest, recent } };
}
