// Stale detection's read: the serving amphorae with whether each is silent or broken, judged
// by the database's clock, shared by every health manager process.
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

export interface MonitoredRow {
  /** The database's clock when the rows were read. */
  now: Date;
  id: string;
  agent_url: string | null;
  /** The inventory host: the failure domain of its agent. */
  host_id: string | null;
  availability_zone: string | null;
  load_balancer_id: string;
  lb_status: string;
  last_seen: Date;
  /** No heartbeat ever: `last_seen` is its OFFLINE host's. */
  never_heard: boolean;
  silent: boolean;
  broken: boolean;
  /** Broken now, and its agent said it cannot heal it: no need to wait out the timeout. */
  unhealable: boolean;
  /** The agent's reason, when unhealable. */
  fault: string | null;
}

/** Rows per statement of `monitoredAmphorae`. */
const MONITORED_PAGE = 500;

/**
 * Every serving amphora that has sent a heartbeat, with whether it is silent or broken past
 * `timeoutMs`, longest silent first. An amphora never heard from is judged only once its host is
 * OFFLINE, as last heard when its host was (a host that died right after placing it would
 * otherwise keep it, and its load balancer, forever); until then it may still be starting. Read
 * in pages by id, so no one statement holds the embedded database (and the API requests behind
 * it) for the whole fleet.
 */
export async function monitoredAmphorae(db: Db, timeoutMs: number): Promise<MonitoredRow[]> {
  const rows: MonitoredRow[] = [];
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const page = await sql<MonitoredRow>`
      select now() as now, a.id, a.agent_url, a.host_id, lb.availability_zone, a.load_balancer_id, lb.provisioning_status as lb_status,
        coalesce(h.last_seen, ho.last_seen_at) as last_seen, h.amphora_id is null as never_heard,
        coalesce(h.last_seen, ho.last_seen_at) < now() - make_interval(secs => ${timeoutMs / 1000}) as silent,
        coalesce(h.broken_since < now() - make_interval(secs => ${timeoutMs / 1000}), false) as broken,
        coalesce(h.broken_since is not null and h.fault is not null, false) as unhealable, h.fault
      from amphora a
      left join amphora_health h on h.amphora_id = a.id
      left join host ho on ho.id = a.host_id
      join load_balancer lb on lb.id = a.load_balancer_id
      where a.status = 'ALLOCATED' and lb.provisioning_status <> 'DELETED' and a.id > ${after}::uuid
        and (h.amphora_id is not null or (ho.operating_status = 'OFFLINE' and ho.last_seen_at is not null))
      order by a.id
      limit ${MONITORED_PAGE}`.execute(db);
    rows.push(...page.rows.map((r) => ({ ...r, now: new Date(r.now), last_seen: new Date(r.last_seen) })));
    if (page.rows.length < MONITORED_PAGE) break;
    after = page.rows[page.rows.length - 1].id;
  }
  return rows.sort((x, y) => x.last_seen.getTime() - y.last_seen.getTime() || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}
