// The row of a new health monitor, shared by its own route and a fully-populated LB create.
import { adminStateUp } from '../octavia/common.ts';
import type { MonitorSettings } from '../../model/health-monitor.ts';

/** The row of a new monitor of `pool` with checked `settings`, PENDING_CREATE and OFFLINE. */
export function newHealthMonitorRow(
  id: string,
  pool: { id: string; project_id: string },
  body: { name?: string | null; admin_state_up?: boolean | null; tags?: string[] },
  settings: MonitorSettings,
) {
  return {
    id,
    project_id: pool.project_id,
    pool_id: pool.id,
    name: body.name ?? '',
    admin_state_up: adminStateUp(body.admin_state_up),
    provisioning_status: 'PENDING_CREATE',
    operating_status: 'OFFLINE',
    tags: JSON.stringify(body.tags ?? []),
    ...settings,
  };
}
