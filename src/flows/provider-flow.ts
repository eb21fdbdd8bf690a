// The flow behind every tenant write: the provider driver's planned steps, and on final
// failure the failure statuses of docs/octavia-compatibility.md §4.3 with the reason stored on the objects.
import { applyStatusUpdate } from '../providers/status-callbacks.ts';
import { failureStatuses } from '../model/completion.ts';
import type { ProviderOperation } from '../model/operation.ts';
import type { ProviderRegistry } from '../providers/driver.ts';
import { ownerOf, recordEvent } from '../observability/events.ts';
import { PermanentFailure, type FlowDefinition } from './flow.ts';

export const PROVIDER_OPERATION = 'provider-operation';

export function providerOperationFlow(providers: ProviderRegistry): FlowDefinition<ProviderOperation> {
  return {
    kind: PROVIDER_OPERATION,
    steps(op) {
      const driver = providers.get(op.provider);
      if (!driver) {
        return [{ name: 'provider:missing', run: async () => Promise.reject(new PermanentFailure(`Provider '${op.provider}' was not found.`)) }];
      }
      return driver.plan(op);
    },
    async onFailure(trx, op, reason) {
      await applyStatusUpdate(trx, failureStatuses(op), reason);
      if (op.action === 'failover') {
        const owner = await ownerOf(trx, 'loadbalancer', op.loadBalancerId);
        await recordEvent(trx, {
          type: 'failover.failed',
          projectId: owner?.projectId ?? null,
          loadBalancerId: op.loadBalancerId,
          detail: { loadbalancer_id: op.loadBalancerId, ...(op.amphoraId ? { amphora_id: op.amphoraId } : {}), reason },
        });
      }
    },
  };
}
