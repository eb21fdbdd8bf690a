// Heartbeats for the amphorae of the noop compute driver, which no agent serves: each interval,
// every allocated noop amphora reports what an idle HAProxy with every member healthy would.
// They enter the health manager as received heartbeats do, so statuses, statistics and stale
// detection behave as with real amphorae, and nothing is failed over for being silent.
import type { Db } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { Heartbeat, HeartbeatProxy } from '../agent/heartbeat-codec.ts';
import { loadLbGraph } from '../amphora/graph-loader.ts';
import { idleHealthyStats } from '../providers/amphora/noop-agents.ts';
import type { ProxyStat } from './operating-status.ts';

/** A fixed epoch: the counters of an amphora that serves nothing never restart. */
const EPOCH = 'noop';

function heartbeatProxy(stat: ProxyStat): HeartbeatProxy {
  const c = stat.counters;
  return c
    ? { p: stat.proxy, s: stat.server, st: stat.status, c: [c.bytes_in, c.bytes_out, c.active_connections, c.total_connections, c.request_errors, c.refused_connections, c.refused_requests] }
    : { p: stat.proxy, s: stat.server, st: stat.status };
}

export class NoopHeartbeats {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly accept: (heartbeat: Heartbeat) => void,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.#timer = setInterval(() => {
      this.#running ??= this.beat()
        .catch((err) => this.log.warn({ err }, 'noop heartbeats failed'))
        .finally(() => (this.#running = null));
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  async beat(): Promise<void> {
    const amphorae = await this.db
      .selectFrom('amphora')
      .select(['id', 'load_balancer_id'])
      .where('compute_driver', '=', 'noop')
      .where('status', '=', 'ALLOCATED')
      .where('load_balancer_id', 'is not', null)
      .execute();
    const now = Date.now();
    for (const amphora of amphorae) {
      const graph = await loadLbGraph(this.db, amphora.load_balancer_id!);
      this.accept({ amphora_id: amphora.id, seq: now * 1000, ts: now, haproxy: { running: true, epoch: EPOCH }, proxies: idleHealthyStats(graph).map(heartbeatProxy) });
    }
  }
}
