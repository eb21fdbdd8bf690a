// Collects what each amphora's HAProxy reports and turns it into operating statuses (the
// health manager's pull half, until heartbeats carry the same data).
import type { Db } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import { loadLbGraph } from '../amphora/graph-loader.ts';
import type { AmphoraAgents } from '../providers/amphora/amphora-agents.ts';
import type { StatusCallbacks } from '../providers/status-callbacks.ts';
import { operatingStatuses, type ProxyStat } from './operating-status.ts';
import { counterIncrement, type ListenerCounters } from './listener-counters.ts';
import { addListenerStats, listenersWithStats } from '../db/stats.ts';
import type { LbGraph } from '../model/lb-graph.ts';

export class AmphoraHealthPoller {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  /** The counters each amphora's listeners reported at the previous poll, by `<amphora>/<listener>`. */
  readonly #previous = new Map<string, ListenerCounters>();

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
    const serving = new Set(amphorae.map((a) => a.id));
    for (const key of this.#previous.keys()) if (!serving.has(key.split('/')[0])) this.#previous.delete(key);
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
      if (stats) await this.#recordStats(amphora.id, graph, stats);
    }
  }

  async #recordStats(amphoraId: string, graph: LbGraph, stats: ProxyStat[]): Promise<void> {
    const stored = await listenersWithStats(this.db, amphoraId);
    for (const listener of graph.listeners) {
      const counters = stats.find((s) => s.proxy === listener.id && s.server === 'FRONTEND')?.counters;
      if (!counters) continue;
      const key = `${amphoraId}/${listener.id}`;
      const increment = counterIncrement(counters, this.#previous.get(key), stored.has(listener.id));
      this.#previous.set(key, counters);
      await addListenerStats(this.db, { listenerId: listener.id, amphoraId, loadBalancerId: graph.loadBalancer.id }, increment);
    }
  }
}
