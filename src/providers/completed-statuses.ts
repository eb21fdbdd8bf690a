// What a driver reports when an operation succeeded: the completion statuses of docs/octavia-compatibility.md §4.3 plus
// the operating statuses Octavia's amphora driver sets on provisioning (docs/octavia-compatibility.md §4.4): monitors, L7
// policies and L7 rules ONLINE (OFFLINE when admin-down), and the members of a pool that lost
// its monitor NO_MONITOR.
import type { Db } from '../db/database.ts';
import { successStatuses, type StatusUpdate } from '../model/completion.ts';
import type { ProviderOperation } from '../model/operation.ts';

export async function completedStatuses(db: Db, op: ProviderOperation): Promise<StatusUpdate> {
  const update = successStatuses(op);
  for (const change of update.healthmonitor ?? []) {
    if (change.provisioning_status !== 'ACTIVE') continue;
    const hm = await db.selectFrom('health_monitor').select('admin_state_up').where('id', '=', change.id).executeTakeFirst();
    if (hm) change.operating_status = hm.admin_state_up ? 'ONLINE' : 'OFFLINE';
  }
  for (const [type, table] of [['l7policy', 'l7policy'], ['l7rule', 'l7rule']] as const) {
    for (const change of update[type] ?? []) {
      if (change.provisioning_status !== 'ACTIVE') continue;
      const row = await db.selectFrom(table).select('admin_state_up').where('id', '=', change.id).executeTakeFirst();
      if (row) change.operating_status = row.admin_state_up ? 'ONLINE' : 'OFFLINE';
    }
  }
  if (op.target.type === 'healthmonitor' && op.action === 'delete') {
    const hm = await db.selectFrom('health_monitor').select('pool_id').where('id', '=', op.target.id).executeTakeFirst();
    if (hm) {
      const members = await db.selectFrom('member').select('id').where('pool_id', '=', hm.pool_id).execute();
      update.member = [...(update.member ?? []), ...members.map((m) => ({ id: m.id, operating_status: 'NO_MONITOR' as const }))];
    }
  }
  return update;
}
