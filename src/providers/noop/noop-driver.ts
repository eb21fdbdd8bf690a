// The noop provider: carries out nothing on any data plane, but goes through the real flow
// engine and status callbacks, so objects settle exactly as the reference says (ACTIVE, with
// operating statuses OFFLINE / NO_MONITOR until health data would arrive).
import type { Db } from '../../db/database.ts';
import type { ProviderOperation } from '../../model/operation.ts';
import type { FlowStep } from '../../flows/flow.ts';
import type { ProviderDriver } from '../driver.ts';
import type { StatusCallbacks } from '../status-callbacks.ts';
import { completedStatuses } from '../completed-statuses.ts';

export class NoopDriver implements ProviderDriver {
  readonly name = 'noop';
  readonly description = 'The Fulcrum no-op driver: completes every operation without a data plane.';

  constructor(
    private readonly db: Db,
    private readonly callbacks: StatusCallbacks,
  ) {}

  checkSupport(): void {}

  plan(op: ProviderOperation): FlowStep<ProviderOperation>[] {
    return [{ name: 'noop:report-status', run: async () => this.callbacks.updateStatuses(await completedStatuses(this.db, op)) }];
  }
}
