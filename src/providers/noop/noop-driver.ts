// The noop provider: carries out nothing on any data plane, but goes through the real flow
// engine and status callbacks, so objects settle exactly as the reference says (ACTIVE, with
// operating statuses OFFLINE / NO_MONITOR until health data would arrive).
import type { Db } from '../../db/database.ts';
import { successStatuses, type StatusUpdate } from '../../model/completion.ts';
import type { ProviderOperation } from '../../model/operation.ts';
import type { FlowStep } from '../../flows/flow.ts';
import type { ProviderDriver } from '../driver.ts';
import type { StatusCallbacks } from '../status-callbacks.ts';

export class NoopDriver implements ProviderDriver {
  readonly name = 'noop';
  readonly description = 'The Fulcrum no-op driver: completes every operation without a data plane.';

  constructor(
    private readonly db: Db,
    private readonly callbacks: StatusCallbacks,
  ) {}

  checkSupport(): void {}

  plan(op: ProviderOperation): FlowStep<ProviderOperation>[] {
    return [{ name: 'noop:report-status', run: async () => this.callbacks.updateStatuses(await this.#statuses(op)) }];
  }

  /** Monitors go ONLINE (OFFLINE when admin-down); a pool losing its monitor leaves its members NO_MONITOR. */
  async #statuses(op: ProviderOperation): Promise<StatusUpdate> {
    const update = successStatuses(op);
    for (const change of update.healthmonitor ?? []) {
      if (change.provisioning_status !== 'ACTIVE') continue;
      const hm = await this.db.selectFrom('health_monitor').select('admin_state_up').where('id', '=', change.id).executeTakeFirst();
      if (hm) change.operating_status = hm.admin_state_up ? 'ONLINE' : 'OFFLINE';
    }
    const monitorDeleted = op.target.type === 'healthmonitor' && op.action === 'delete';
    if (monitorDeleted) {
      const hm = await this.db.selectFrom('health_monitor').select('pool_id').where('id', '=', op.target.id).executeTakeFirst();
      if (hm) {
        const members = await this.db.selectFrom('member').select('id').where('pool_id', '=', hm.pool_id).execute();
        update.member = [...(update.member ?? []), ...members.map((m) => ({ id: m.id, operating_status: 'NO_MONITOR' as const }))];
      }
    }
    return update;
  }
}
