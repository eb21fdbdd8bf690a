// The noop provider: carries out nothing on any data plane, but goes through the real flow
// engine and status callbacks, so objects settle exactly as Octavia's do (docs/octavia-compatibility.md §4.3) (ACTIVE, with
// operating statuses OFFLINE / NO_MONITOR until health data would arrive).
import type { Db } from '../../db/database.ts';
import type { ProviderOperation } from '../../model/operation.ts';
import type { FlowStep } from '../../flows/flow.ts';
import type { Capability, ProviderDriver } from '../driver.ts';
import { topOffenders, type SourcesReport } from '../../agent/stick-table.ts';
import type { StatusCallbacks } from '../status-callbacks.ts';
import { completedStatuses } from '../completed-statuses.ts';

export class NoopDriver implements ProviderDriver {
  readonly name = 'noop';
  readonly description = 'The Fulcrum no-op driver: completes every operation without a data plane.';

  constructor(
    private readonly db: Db,
    private readonly callbacks: StatusCallbacks,
  ) {}

  // Like Octavia's noop driver it supports flavors and zones and accepts any metadata object:
  // nothing is placed, so there is nothing a key could be wrong for.
  readonly flavorCapabilities: Capability[] = [{ name: 'amp_image_tag', description: 'The image tag to use for this load balancer.' }];
  readonly availabilityZoneCapabilities: Capability[] = [{ name: 'compute_zone', description: 'The compute availability zone to use for this load balancer.' }];

  checkSupport(): void {}

  validateFlavor(): void {}

  validateAvailabilityZone(): void {}

  /** Nothing serves traffic, so no source was ever refused. */
  async protectionSources(): Promise<SourcesReport> {
    return topOffenders([], 0);
  }

  plan(op: ProviderOperation): FlowStep<ProviderOperation>[] {
    return [{ name: 'noop:report-status', run: async () => this.callbacks.updateStatuses(await completedStatuses(this.db, op)) }];
  }
}
