// The one JSON shape of an event: what GET /v2/fulcrum/events returns, what webhooks receive,
// and what the dashboard and the CLI show.
import type { Selectable } from 'kysely';
import type { EventTable } from '../db/schema.ts';

export type EventRow = Selectable<EventTable>;

export interface EventView {
  id: string;
  type: string;
  severity: string;
  loadbalancer_id: string | null;
  project_id: string | null;
  created_at: string;
  detail: Record<string, unknown>;
}

/** UTC without the zone letter, as every other time in the API (docs/octavia-compatibility.md §1.4). */
function apiTime(value: Date | string): string {
  return new Date(value).toISOString().replace(/Z$/, '');
}

export function eventView(row: EventRow): EventView {
  return {
    id: row.id,
    type: row.type,
    severity: row.severity,
    loadbalancer_id: row.load_balancer_id,
    project_id: row.project_id,
    created_at: apiTime(row.created_at),
    detail: row.detail ?? {},
  };
}
