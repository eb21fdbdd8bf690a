// Gathers what a diagnosis of one load balancer needs (its row, its newest jobs, its amphorae
// and their hosts, each agent's answer, each last heartbeat) and lets src/providers/amphora/lb-diagnosis.ts
// judge it. The agents are asked in parallel, each with a short timeout.
import { sql, type Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { JobTable } from '../../db/schema.ts';
import type { AmphoraAgents } from './amphora-agents.ts';
import { diagnose, type AmphoraFacts, type Diagnosis, type ProbeFacts } from './lb-diagnosis.ts';

/** The provisioning history a diagnosis shows. */
const JOBS_SHOWN = 10;

export interface LbDiagnostics {
  loadbalancer: { id: string; name: string | null; provisioning_status: string; operating_status: string; topology: string; vip_address: string | null };
  jobs: Selectable<JobTable>[];
  amphorae: { id: string; role: string | null; status: string; compute_driver: string; compute_id: string | null; host_id: string | null; agent_url: string | null }[];
  diagnosis: Diagnosis;
}

async function probe(agents: AmphoraAgents, agentUrl: string, amphoraId: string): Promise<ProbeFacts> {
  const started = performance.now();
  try {
    const answer = await agents.probe(agentUrl, amphoraId);
    return { reachable: true, elapsedMs: Math.round(performance.now() - started), ...answer };
  } catch (err) {
    return { reachable: false, error: (err as Error).message };
  }
}

/** Null: no such load balancer (or deleted). */
export async function gatherDiagnostics(db: Db, agents: AmphoraAgents, loadBalancerId: string, heartbeatTimeoutMs: number): Promise<LbDiagnostics | null> {
  const lb = await db
    .selectFrom('load_balancer')
    .select(['id', 'name', 'provisioning_status', 'operating_status', 'topology', 'vip_address'])
    .where('id', '=', loadBalancerId)
    .where('provisioning_status', '<>', 'DELETED')
    .executeTakeFirst();
  if (!lb) return null;
  const jobs = await db.selectFrom('job').selectAll().where('load_balancer_id', '=', lb.id).orderBy('id', 'desc').limit(JOBS_SHOWN).execute();
  const rows = await db
    .selectFrom('amphora')
    .leftJoin('amphora_health', 'amphora_health.amphora_id', 'amphora.id')
    .leftJoin('host', 'host.id', 'amphora.host_id')
    .select([
      'amphora.id',
      'amphora.role',
      'amphora.status',
      'amphora.compute_driver',
      'amphora.compute_id',
      'amphora.agent_url',
      'amphora.fault',
      'amphora.host_id',
      'host.id as host_row_id',
      'host.name as host_name',
      'host.admin_state as host_admin_state',
      'host.operating_status as host_operating_status',
      'host.last_seen_at as host_last_seen_at',
      'amphora.haproxy_config_sha256',
      'amphora_health.last_seen',
      'amphora_health.haproxy_running',
      'amphora_health.fault as heartbeat_fault',
    ])
    .where('amphora.load_balancer_id', '=', lb.id)
    .where('amphora.status', '<>', 'DELETED')
    .orderBy('amphora.id')
    .execute();
  // The MASTER first, as a request meets it.
  rows.sort((a, b) => Number(b.role === 'MASTER') - Number(a.role === 'MASTER'));
  // The database's clock, which wrote last_seen and last_seen_at.
  const { now } = (await sql<{ now: Date }>`select now() as now`.execute(db)).rows[0];
  const facts: AmphoraFacts[] = await Promise.all(
    rows.map(async (r) => ({
      id: r.id,
      role: r.role,
      status: r.status,
      compute_driver: r.compute_driver,
      compute_id: r.compute_id,
      agent_url: r.agent_url,
      fault: r.fault,
      host_id: r.host_id,
      host: r.host_row_id ? { name: r.host_name!, admin_state: r.host_admin_state!, operating_status: r.host_operating_status!, lastSeenAt: r.host_last_seen_at } : null,
      pushedConfigSha256: r.haproxy_config_sha256,
      heartbeat: r.last_seen ? { lastSeen: r.last_seen, haproxyRunning: r.haproxy_running ?? false, fault: r.heartbeat_fault } : null,
      heartbeatsExpected: r.compute_driver !== 'noop',
      probe: r.agent_url ? await probe(agents, r.agent_url, r.id) : null,
    })),
  );
  const diagnosis = diagnose({
    lb,
    jobs: jobs.map((j) => ({ id: String(j.id), kind: j.kind, state: j.state, last_error: j.last_error })),
    amphorae: facts,
    now,
    heartbeatTimeoutMs,
  });
  return {
    loadbalancer: lb,
    jobs,
    amphorae: rows.map((r) => ({ id: r.id, role: r.role, status: r.status, compute_driver: r.compute_driver, compute_id: r.compute_id, host_id: r.host_id, agent_url: r.agent_url })),
    diagnosis,
  };
}
