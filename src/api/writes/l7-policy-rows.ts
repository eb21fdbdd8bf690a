// The descriptive columns of an L7 policy's create and update, shared by its own routes and a
// fully-populated LB create.
import type { L7PolicyInput } from '../octavia/l7policy.ts';

/** name, description, admin_state_up and tags as columns; null name/description are "". */
export function describedColumns(body: L7PolicyInput): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (body.name !== undefined) out.name = body.name ?? '';
  if (body.description !== undefined) out.description = body.description ?? '';
  if (body.admin_state_up !== undefined) out.admin_state_up = body.admin_state_up ?? false;
  if (body.tags !== undefined) out.tags = JSON.stringify(body.tags);
  return out;
}
