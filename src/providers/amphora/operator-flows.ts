// The flows behind the operator amphora API (docs/octavia-compatibility.md §5.13) that act on one amphora rather
// than on a load balancer: deleting an amphora in ERROR, and re-rendering and pushing an
// amphora's configuration. Neither locks the load balancer; failure is recorded on the amphora.
import { loadLbGraph } from '../../amphora/graph-loader.ts';
import { PermanentFailure, type FlowDefinition } from '../../flows/flow.ts';
import { AMPHORA_RECORD_COLUMNS, configureAmphora, destroyAmphora, type LifecycleDeps } from './amphora-lifecycle.ts';

export const AMPHORA_DELETE = 'amphora-delete';
export const AMPHORA_CONFIG = 'amphora-config';

export interface AmphoraJob {
  amphoraId: string;
}

export function amphoraDeleteFlow(deps: LifecycleDeps): FlowDefinition<AmphoraJob> {
  return {
    kind: AMPHORA_DELETE,
    steps: () => [
      {
        name: 'amphora:delete',
        // The amphora is in ERROR: its agent not answering is expected.
        run: async ({ payload }) => destroyAmphora(deps, payload.amphoraId, { agentMayBeGone: true }),
      },
    ],
    async onFailure(trx, payload, reason) {
      await trx.updateTable('amphora').set({ status: 'ERROR', fault: reason, updated_at: new Date() }).where('id', '=', payload.amphoraId).execute();
    },
  };
}

export function amphoraConfigFlow(deps: LifecycleDeps): FlowDefinition<AmphoraJob> {
  return {
    kind: AMPHORA_CONFIG,
    steps: () => [
      {
        name: 'amphora:push-config',
        run: async ({ payload }) => {
          const amphora = await deps.db
            .selectFrom('amphora')
            .select([...AMPHORA_RECORD_COLUMNS, 'load_balancer_id', 'status'])
            .where('id', '=', payload.amphoraId)
            .executeTakeFirst();
          if (!amphora || amphora.status === 'DELETED') throw new PermanentFailure(`amphora ${payload.amphoraId} no longer exists`);
          if (!amphora.load_balancer_id) throw new PermanentFailure(`amphora ${amphora.id} serves no load balancer`);
          if (!amphora.agent_url) throw new PermanentFailure(`amphora ${amphora.id} has no agent`);
          await configureAmphora(deps, await loadLbGraph(deps.db, amphora.load_balancer_id), amphora);
        },
      },
    ],
    async onFailure(trx, payload, reason) {
      await trx.updateTable('amphora').set({ fault: reason, updated_at: new Date() }).where('id', '=', payload.amphoraId).execute();
    },
  };
}
