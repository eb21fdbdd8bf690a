// The agent side of the noop compute driver: every call succeeds without a process. Statistics
// are what HAProxy would report for the load balancer's graph with every member healthy and no
// traffic, read from the database on each call, so any process (worker, health manager) of any
// restart answers the same and the health poller keeps the objects ONLINE.
import type { Db } from '../../db/database.ts';
import { loadLbGraph } from '../../amphora/graph-loader.ts';
import { routedPools } from '../../amphora/render/haproxy-frontend.ts';
import type { ProxyStat } from '../../health/operating-status.ts';
import type { LbGraph } from '../../model/lb-graph.ts';
import type { AmphoraAgents, AmphoraProbe } from './amphora-agents.ts';
import type { AgentLogAnswer } from '../../amphora/agent-client.ts';
import { topOffenders, type SourcesReport } from '../../agent/stick-table.ts';

const ZERO = { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0, refused_connections: 0, refused_requests: 0 };

/** `show stat` of an idle HAProxy serving `graph`: frontends OPEN, backends UP, members UP (or unchecked, or in maintenance). */
export function idleHealthyStats(graph: LbGraph): ProxyStat[] {
  const pools = new Map(graph.pools.map((p) => [p.id, p]));
  const stats: ProxyStat[] = [];
  const served = new Set<string>();
  for (const listener of graph.listeners) {
    stats.push({ proxy: listener.id, server: 'FRONTEND', status: 'OPEN', counters: { ...ZERO } });
    for (const pool of routedPools(listener, pools)) served.add(pool.id);
  }
  for (const pool of graph.pools) {
    if (!served.has(pool.id)) continue;
    stats.push({ proxy: pool.id, server: 'BACKEND', status: 'UP' });
    const checked = pool.healthMonitor?.admin_state_up;
    for (const m of pool.members) stats.push({ proxy: pool.id, server: m.id, status: !m.admin_state_up ? 'MAINT' : checked ? 'UP' : 'no check' });
  }
  return stats;
}

export class NoopAmphoraAgents implements AmphoraAgents {
  // Noop hosts are inventory rows with no agent behind them: they are as alive as the rows.
  async ping(): Promise<boolean> {
    return true;
  }

  constructor(private readonly db: Db) {}

  async register(_agentUrl: string, amphoraId: string): Promise<string> {
    return `/noop/${amphoraId}`;
  }

  async applyHaproxy(): Promise<void> {}

  async applyKeepalived(): Promise<void> {}

  async applyL4(): Promise<void> {}

  async remove(): Promise<void> {}

  /** No agent keeps configurations: nothing can outlive its row. */
  async hosted(): Promise<string[]> {
    return [];
  }

  /** What keepalived would place: the VIP on the MASTER (or a SINGLE amphora), nothing on a BACKUP. */
  async addresses(_agentUrl: string, amphoraId: string): Promise<string[]> {
    const row = await this.db
      .selectFrom('amphora')
      .innerJoin('load_balancer', 'load_balancer.id', 'amphora.load_balancer_id')
      .select(['amphora.role', 'load_balancer.vip_address'])
      .where('amphora.id', '=', amphoraId)
      .executeTakeFirst();
    return row?.vip_address && row.role !== 'BACKUP' ? [row.vip_address] : [];
  }

  /** Nothing runs, so nothing can be killed. */
  async crash(): Promise<void> {}

  /** No HAProxy, no traffic: the log is empty. */
  async logs(): Promise<AgentLogAnswer> {
    return { last_seq: 0, logs: [] };
  }

  /** No agent sends heartbeats: its amphorae are never monitored, so never failed over. */
  async heartbeatDigest(): Promise<string | null> {
    return null;
  }

  async configureHeartbeat(): Promise<void> {}

  /** No HAProxy, so no source was ever refused. */
  async sources(): Promise<SourcesReport> {
    return topOffenders([], 0);
  }

  async stats(_agentUrl: string, amphoraId: string): Promise<ProxyStat[]> {
    const row = await this.db.selectFrom('amphora').select(['load_balancer_id', 'status']).where('id', '=', amphoraId).executeTakeFirst();
    if (!row?.load_balancer_id || row.status === 'DELETED') throw new Error(`amphora ${amphoraId} serves no load balancer`);
    return idleHealthyStats(await loadLbGraph(this.db, row.load_balancer_id));
  }

  /** Nothing runs: the answer an agent running exactly what was pushed, with every member healthy, would give. */
  async probe(agentUrl: string, amphoraId: string): Promise<AmphoraProbe> {
    const row = await this.db.selectFrom('amphora').select(['role', 'haproxy_config_sha256']).where('id', '=', amphoraId).executeTakeFirst();
    const idle = { state: 'idle' as const, restarts: 0, recent_crashes: 0 };
    return {
      status: {
        id: amphoraId,
        netns: null,
        run_dir: `/noop/${amphoraId}`,
        haproxy: { running: true, master_pid: null, workers: [], uptime_s: null, config_sha256: row?.haproxy_config_sha256 ?? null },
        keepalived: { running: row?.role !== 'STANDALONE', pid: null, vrrp_state: row?.role === 'MASTER' ? 'MASTER' : row?.role === 'BACKUP' ? 'BACKUP' : null },
        fault: false,
        fault_requested: false,
        supervision: { haproxy: { wanted: true, ...idle }, keepalived: { wanted: row?.role !== 'STANDALONE', ...idle }, events: [] },
      },
      servers: await this.stats(agentUrl, amphoraId),
      serversError: null,
    };
  }
}
