// The provider-driver contract, after Octavia's: the API validates what a driver can do
// (synchronously, no I/O), the worker runs the durable steps the driver plans for each
// create/update/delete of each object type, and the driver reports the outcome through the
// status callbacks. A failure inside a step reaches the API as provisioning_status ERROR with
// the reason stored; it never leaves an object PENDING.
import type { SourcesReport } from '../agent/stick-table.ts';
import type { FlowStep } from '../flows/flow.ts';
import type { ProviderOperation } from '../model/operation.ts';

/** What the API asks a driver before it accepts a request (mirrors Octavia's 501 checks). */
export interface SupportQuery {
  lbAlgorithm?: string;
  listenerProtocol?: string;
  poolProtocol?: string;
  healthMonitorType?: string;
  /** The protocol of the listener an L7 policy is added to. */
  l7ListenerProtocol?: string;
  /** The amphora topology a load balancer would get (from its flavor or the default). */
  topology?: string;
}

/** One flavor or availability-zone metadata key a driver understands (docs/octavia-compatibility.md §5.10). */
export interface Capability {
  name: string;
  description: string;
}

export interface ProviderDriver {
  readonly name: string;
  readonly description: string;
  /** Throws ProviderUnsupported for an option or action the driver cannot carry out. */
  checkSupport(query: SupportQuery): void;
  /**
   * The steps that carry out one create/update/delete (op.action) of one object type
   * (op.target.type). Steps must be idempotent; the last reports statuses.
   */
  plan(op: ProviderOperation): FlowStep<ProviderOperation>[];
  /** Flavor metadata keys; absent when the driver does not support flavors (501). */
  readonly flavorCapabilities?: Capability[];
  /** Availability-zone metadata keys; absent when the driver does not support zones (501). */
  readonly availabilityZoneCapabilities?: Capability[];
  /** Throws InvalidInput (400) naming the bad key or value of a flavor profile's data. */
  validateFlavor?(metadata: Record<string, unknown>): void;
  /** Throws InvalidInput (400) naming the bad key or value of an AZ profile's data. */
  validateAvailabilityZone?(metadata: Record<string, unknown>): void;
  /** The sources a listener's protection refused most, from its data plane now (absent: 501). */
  protectionSources?(loadBalancerId: string, listenerId: string, limit: number): Promise<SourcesReport>;
}

export class ProviderRegistry {
  readonly #drivers = new Map<string, ProviderDriver>();

  constructor(
    drivers: ProviderDriver[],
    private readonly aliases: Record<string, string> = {},
  ) {
    for (const d of drivers) this.#drivers.set(d.name, d);
  }

  get(name: string): ProviderDriver | undefined {
    return this.#drivers.get(this.aliases[name] ?? name);
  }

  list(): ProviderDriver[] {
    return [...this.#drivers.values()];
  }

  /** The driver name an alias such as `octavia` stands for, or undefined if `name` is no alias. */
  aliasOf(name: string): string | undefined {
    return this.aliases[name];
  }
}
