// Collects what each amphora's HAProxy reports and turns it into operating statuses (the
// health manager's pull half, until heartbeats carry the same data).
import type { Db } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import { loadLbGraph } from '../amphora/graph-loader.ts';
import type { AmphoraAgents } from '../providers/amphora/amphora-agents.ts';
import type { StatusCallbacks } from '../providers/status-callbacks.ts';
import { operatingStatuses } from './operating-status.ts';

export class AmphoraHealthPoller {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly agents: () => Promise<AmphoraAgents>,
    private readonly callbacks: StatusCallbacks,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.#timer = setInterval(() => {
      this.#running ??= this.pollOnce()
        .catch((err) => this.log.warn({ err }, 'amphora health poll failed'))
        .finally(() => (this.#running = null));
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass over every serving amphora. */
  async pollOnce(): Promise<void> {
    const amphorae = await this.db
      .selectFrom('amphora')
      .innerJoin('load_balancer', 'load_balancer.id', 'amphora.load_balancer_id')
      .select(['amphora.id', 'amphora.agent_url', 'amphora.load_balancer_id'])
      .where('amphora.status', '=', 'ALLOCATED')
      .where('load_balancer.provisioning_status', 'in', ['ACTIVE', 'PENDING_UPDATE'])
      .execute();
    if (amphorae.length === 0) return;
    const agents = await this.agents();
    for (const amphora of amphorae) {
      if (!amphora.agent_url || !amphora.load_balancer_id) continue;
      const stats = await agents.stats(amphora.agent_url, amphora.id).catch((err) => {
        this.log.warn({ err, amphora_id: amphora.id }, 'amphora did not report');
        return null;
      });
      const graph = await loadLbGraph(this.db, amphora.load_balancer_id);
      await this.callbacks.updateStatuses(operatingStatuses(graph, stats));
    }
  }
}
