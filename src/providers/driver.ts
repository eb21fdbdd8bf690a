// The provider-driver contract, after Octavia's: the API validates what a driver can do
// (synchronously, no I/O), the worker runs the durable steps the driver plans for each
// create/update/delete of each object type, and the driver reports the outcome through the
// status callbacks. A failure inside a step reaches the API as provisioning_status ERROR with
// the reason stored; it never leaves an object PENDING.
import type { FlowStep } from '../flows/flow.ts';
import type { ProviderOperation } from '../model/operation.ts';

/** What the API asks a driver before it accepts a request (mirrors Octavia's 501 checks). */
export interface SupportQuery {
  lbAlgorithm?: string;
  listenerProtocol?: string;
  poolProtocol?: string;
  healthMonitorType?: string;
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
}
