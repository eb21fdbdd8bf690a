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

/** Where a follow is: the newest time shown and the ids shown at that time. */
export interface FollowCursor {
  since: string | null;
  seenAtSince: Set<string>;
}

/** Of `events` (oldest first), those not shown yet, and the cursor after showing them. */
export function advance(cursor: FollowCursor, events: EventView[]): { fresh: EventView[]; cursor: FollowCursor } {
  const fresh = events.filter((e) => !(e.created_at === cursor.since && cursor.seenAtSince.has(e.id)) && (cursor.since === null || e.created_at >= cursor.since));
  if (fresh.length === 0) return { fresh, cursor };
  const last = fresh[fresh.length - 1].created_at;
  const seen = new Set(last === cursor.since ? cursor.seenAtSince : []);
  for (const e of fresh) if (e.created_at === last) seen.add(e.id);
  return { fresh, cursor: { since: last, seenAtSince: seen } };
}
