// The spare pool's SQL and boot: amphorae placed and registered ahead of need (status READY, no
// load balancer, cached_zone = their availability zone), taken by creates and failovers so they
// skip the boot. Spares wait on the controller's own agent; one on a host that stopped taking
// amphorae (drained, disabled, offline) is not handed out. Housekeeping keeps the pool filled (src/housekeeping/spare-pool-keeper.ts).
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/database.ts';
import type { LifecycleDeps } from './amphora-lifecycle.ts';

export const SPARE_STATUS = 'READY';

/** Serialises the count-then-insert of every filler, in every process. */
const FILL_LOCK = 0x5f_a2e0;

export interface SpareClaim {
  jobId: string;
  loadBalancerId: string;
  role: string;
  /** The load balancer's availability zone; null is the default zone. */
  zone: string | null;
  computeDriver: string;
}

/**
 * Takes a spare for the job's amphora of `role`, or null when the pool has none. Idempotent:
 * a retried step gets the spare its first attempt took. SKIP LOCKED lets concurrent claims
 * each take a different spare without waiting on one another.
 */
export async function claimSpare(db: Db, claim: SpareClaim): Promise<string | null> {
  const taken = await db
    .selectFrom('amphora')
    .select('id')
    .where('claimed_by_job', '=', claim.jobId)
    .where('role', '=', claim.role)
    .where('status', '<>', 'DELETED')
    .executeTakeFirst();
  if (taken) return taken.id;
  const result = await sql<{ id: string }>`
    update amphora set load_balancer_id = ${claim.loadBalancerId}, role = ${claim.role}, status = 'BOOTING',
      claimed_by_job = ${claim.jobId}, updated_at = now()
    where id = (
      select id from amphora
      where status = ${SPARE_STATUS} and load_balancer_id is null and claimed_by_job is null
        and compute_driver = ${claim.computeDriver} and cached_zone is not distinct from ${claim.zone}
        and (host_id is null or host_id in (select id from host where admin_state = 'ENABLED' and operating_status = 'ONLINE'))
      order by created_at, id
      limit 1
      for update skip locked
    )
    returning id`.execute(db);
  return result.rows[0]?.id ?? null;
}

/**
 * Inserts rows for the spares the zone lacks (READY or still booting) and returns their ids;
 * the caller boots them. Under a transaction-scoped advisory lock, so two fillers never both
 * see the same shortfall.
 */
export async function reserveSpares(db: Db, computeDriver: string, zone: string | null, size: number): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${FILL_LOCK})`.execute(trx);
    const row = await trx
      .selectFrom('amphora')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('load_balancer_id', 'is', null)
      .where('claimed_by_job', 'is', null)
      .where('status', 'in', [SPARE_STATUS, 'BOOTING'])
      .where('compute_driver', '=', computeDriver)
      .where(sql<boolean>`cached_zone is not distinct from ${zone}`)
      .executeTakeFirstOrThrow();
    const missing = Math.max(0, size - Number(row.n));
    const ids = Array.from({ length: missing }, () => randomUUID());
    if (ids.length > 0) {
      await trx
        .insertInto('amphora')
        .values(ids.map((id) => ({ id, load_balancer_id: null, status: 'BOOTING', role: null, compute_driver: computeDriver, cached_zone: zone })))
        .execute();
    }
    return ids;
  });
}

/** Places and registers a reserved spare, without any VIP; it becomes READY. */
export async function bootSpare(deps: Pick<LifecycleDeps, 'db' | 'dataPlane'>, amphoraId: string): Promise<void> {
  const [compute, agents] = await Promise.all([deps.dataPlane.compute(), deps.dataPlane.agents()]);
  const placement = await compute.createAmphora({ amphoraId, loadBalancerId: '', vipAddress: '', vipPrefixLength: 32, plugVip: false, vrrpAddress: null });
  await deps.db
    .updateTable('amphora')
    .set({
      compute_id: placement.computeId,
      agent_url: placement.agentUrl,
      host_id: placement.hostId ?? null,
      netns: placement.netns,
      vrrp_interface: placement.vipInterface,
      lb_network_ip: placement.lbNetworkIp || null,
    })
    .where('id', '=', amphoraId)
    .execute();
  const runDir = await agents.register(placement.agentUrl, amphoraId, placement.netns);
  // Only a spare no job took meanwhile becomes READY (a claim needs READY, so none can have).
  await deps.db.updateTable('amphora').set({ run_dir: runDir, status: SPARE_STATUS, updated_at: new Date() }).where('id', '=', amphoraId).where('status', '=', 'BOOTING').execute();
}

/** The zones a pool is kept for: the default one (null) and every enabled availability zone. */
export async function spareZones(db: Db): Promise<(string | null)[]> {
  const zones = await db.selectFrom('availability_zone').select('name').where('enabled', '=', true).orderBy('name').execute();
  return [null, ...zones.map((z) => z.name)];
}

/** Spares whose boot never finished (their filler died) before `olderThanMs`. */
export async function staleSpares(db: Db, olderThanMs: number): Promise<string[]> {
  const rows = await db
    .selectFrom('amphora')
    .select('id')
    .where('load_balancer_id', 'is', null)
    .where('claimed_by_job', 'is', null)
    .where('status', '=', 'BOOTING')
    .where(sql<boolean>`coalesce(updated_at, created_at) < now() - make_interval(secs => ${olderThanMs / 1000})`)
    .execute();
  return rows.map((r) => r.id);
}
