// All of the device inventory's SQL: the hosts with their load, placement of one amphora (the
// scheduler's choice recorded on the amphora row), the controllers' own agents, liveness, and
// the amphorae a drain still has to move. The database's clock decides liveness, as for
// heartbeats.
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { HostTable } from '../db/schema.ts';
import { ConfigError } from '../errors.ts';
import { LEGACY_LOCAL_HOST } from '../model/host-name.ts';
import { chooseHost, type HostCandidate, type HostChooser, type Placement } from './scheduler.ts';

export type HostRow = Selectable<HostTable>;

/** Amphorae that occupy a host: everything not gone. */
const GONE = ['DELETED'];
/** The advisory lock that serialises placements. */
const PLACEMENT_LOCK = 0x5f_a2e1;
/** The advisory lock that serialises the registrations of controllers' own agents. */
const REGISTRATION_LOCK = 0x5f_a2e2;

export function agentUrlOf(host: { address: string; port: number }): string {
  return `https://${host.address.includes(':') ? `[${host.address}]` : host.address}:${host.port}`;
}

/** Amphorae per host, for the hosts given (all when omitted). */
export async function amphoraCounts(db: Db, hostIds?: string[]): Promise<Map<string, number>> {
  let q = db
    .selectFrom('amphora')
    .select(['host_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('host_id', 'is not', null)
    .where('status', 'not in', GONE)
    .groupBy('host_id');
  if (hostIds) q = q.where('host_id', 'in', hostIds.length ? hostIds : ['00000000-0000-0000-0000-000000000000']);
  return new Map((await q.execute()).map((r) => [r.host_id!, Number(r.n)]));
}

export async function hostCandidates(db: Db): Promise<HostCandidate[]> {
  const [rows, counts] = await Promise.all([db.selectFrom('host').selectAll().execute(), amphoraCounts(db)]);
  return rows.map((h) => ({
    id: h.id,
    name: h.name,
    availabilityZone: h.availability_zone,
    adminState: h.admin_state,
    operatingStatus: h.operating_status,
    capacity: h.capacity,
    labels: h.labels,
    amphoraCount: counts.get(h.id) ?? 0,
  }));
}

export interface PlacementHints {
  /** An operator's migrate target. */
  target?: string | null;
  /** Hosts to leave when another qualifies (those of the amphorae being replaced). */
  avoid?: string[];
  labels?: Record<string, string>;
}

export type HostPlacement = { host: HostRow; agentUrl: string } | { fault: string; transient?: boolean };

/**
 * Picks the host for an amphora of `loadBalancerId` and records it on the amphora row; null
 * when the inventory is empty. The hosts of the load balancer's other
 * live amphorae are the anti-affinity set of an ACTIVE_STANDBY pair.
 */
export async function placeAmphora(
  db: Db,
  amphora: { id: string; loadBalancerId: string; topology: string; availabilityZone: string | null },
  hints: PlacementHints,
  choose: HostChooser = chooseHost,
): Promise<HostPlacement | null> {
  const recorded = await db
    .selectFrom('amphora')
    .innerJoin('host', 'host.id', 'amphora.host_id')
    .selectAll('host')
    .where('amphora.id', '=', amphora.id)
    .executeTakeFirst();
  // A retry keeps its host while that host still takes amphorae; one that died or started
  // draining meanwhile is left for another.
  const usable = recorded && recorded.operating_status === 'ONLINE' && (recorded.admin_state === 'ENABLED' || recorded.id === hints.target);
  if (recorded && usable) return { host: recorded, agentUrl: agentUrlOf(recorded) };
  // One placement at a time, in every process: two made at once would both see the same
  // least-loaded host, and the two amphorae of a pair booted at once would not see each other.
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${PLACEMENT_LOCK})`.execute(trx);
    return choosePlacement(trx, amphora, hints, choose);
  });
}

async function choosePlacement(
  db: Db,
  amphora: { id: string; loadBalancerId: string; topology: string; availabilityZone: string | null },
  hints: PlacementHints,
  choose: HostChooser,
): Promise<HostPlacement | null> {
  const hosts = await hostCandidates(db);
  // An empty inventory (API-only deployments, tests of the noop driver): the driver places alone.
  if (hosts.length === 0) return null;
  const peers =
    amphora.topology === 'ACTIVE_STANDBY'
      ? await db
          .selectFrom('amphora')
          .select('host_id')
          .where('load_balancer_id', '=', amphora.loadBalancerId)
          .where('id', '<>', amphora.id)
          .where('status', 'not in', ['DELETED', 'PENDING_DELETE', 'ERROR'])
          .where('host_id', 'is not', null)
          .execute()
      : [];
  const placement: Placement = choose(hosts, {
    availabilityZone: amphora.availabilityZone,
    labels: hints.labels,
    antiAffinity: peers.map((p) => p.host_id!),
    avoid: hints.avoid,
    target: hints.target,
  });
  if ('fault' in placement) return placement;
  await db.updateTable('amphora').set({ host_id: placement.host.id }).where('id', '=', amphora.id).execute();
  const host = await db.selectFrom('host').selectAll().where('id', '=', placement.host.id).executeTakeFirstOrThrow();
  return { host, agentUrl: agentUrlOf(host) };
}

/** The host of an amphora, if it has one. */
export async function hostOfAmphora(db: Db, amphoraId: string): Promise<string | null> {
  const row = await db.selectFrom('amphora').select('host_id').where('id', '=', amphoraId).executeTakeFirst();
  return row?.host_id ?? null;
}

export interface LocalRegistration {
  host: HostRow;
  /** The agent URL the row named before, when it named another: moved, or another data dir's. */
  movedFrom: string | null;
}

/**
 * Records this controller's own agent as host `name` (its address and port may have moved).
 * Processes of one data dir share the row; each machine has its own. The row of an install
 * from before (named `local`) becomes this one, id and amphorae kept, when it names this very
 * agent (same address and port); a `local` row naming another agent is left to the machine
 * whose agent it is. Registrations take turns, so two processes starting at once neither both
 * rename nor both insert.
 */
export async function registerLocalHost(db: Db, name: string, address: string, port: number): Promise<LocalRegistration> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${REGISTRATION_LOCK})`.execute(trx);
    const own = await trx.selectFrom('host').select(['id', 'kind', 'address', 'port']).where('name', '=', name).executeTakeFirst();
    if (own && own.kind !== 'local') {
      throw new ConfigError(`FULCRUM_HOST_NAME ${JSON.stringify(name)} is the name of joined host ${own.id}: give this controller's agent another name`);
    }
    const legacy = own
      ? undefined
      : await trx
          .selectFrom('host')
          .select('id')
          .where('name', '=', LEGACY_LOCAL_HOST)
          .where('kind', '=', 'local')
          .where('address', '=', address)
          .where('port', '=', port)
          .executeTakeFirst();
    const id = own?.id ?? legacy?.id;
    const movedFrom = own && (own.address !== address || own.port !== port) ? agentUrlOf(own) : null;
    const host = id
      ? await trx.updateTable('host').set({ name, address, port, updated_at: sql<Date>`now()` }).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
      : await trx
          .insertInto('host')
          .values({ id: randomUUID(), name, kind: 'local', address, port, last_seen_at: sql<Date>`now()` })
          .returningAll()
          .executeTakeFirstOrThrow();
    return { host, movedFrom };
  });
}

/**
 * Which certificate name the agent at `agentUrl` must present: a joined host's id, or null for
 * an agent the controller started itself (its certificate is issued locally for its address).
 */
export async function expectedIdentity(db: Db, agentUrl: string): Promise<string | null> {
  const hosts = await db.selectFrom('host').select(['id', 'kind', 'address', 'port']).where('kind', '=', 'joined').execute();
  return hosts.find((h) => agentUrlOf(h) === agentUrl)?.id ?? null;
}

export async function allHosts(db: Db): Promise<HostRow[]> {
  return db.selectFrom('host').selectAll().orderBy('name').execute();
}

/**
 * Marks hosts whose agent answered as seen now; returns those that were OFFLINE until now. The
 * status changes in one conditional UPDATE, so of several managers recording the same return
 * at once exactly one gets the host back (the others wait for its row lock, then find it ONLINE).
 */
export async function recordHostsSeen(db: Db, ids: string[]): Promise<HostRow[]> {
  if (ids.length === 0) return [];
  const back = await db
    .updateTable('host')
    .set({ last_seen_at: sql<Date>`now()`, operating_status: 'ONLINE', updated_at: sql<Date>`now()` })
    .where('id', 'in', ids)
    .where('operating_status', '=', 'OFFLINE')
    .returningAll()
    .execute();
  await db.updateTable('host').set({ last_seen_at: sql<Date>`now()` }).where('id', 'in', ids).execute();
  return back;
}

/** Hosts not seen within `timeoutMs` become OFFLINE; returns those that just did (to one caller only, as above). */
export async function markSilentHostsOffline(db: Db, timeoutMs: number): Promise<HostRow[]> {
  return db
    .updateTable('host')
    .set({ operating_status: 'OFFLINE', updated_at: sql<Date>`now()` })
    .where('operating_status', '=', 'ONLINE')
    .where(sql<boolean>`coalesce(last_seen_at, created_at) < now() - make_interval(secs => ${timeoutMs / 1000})`)
    .returningAll()
    .execute();
}

export interface DrainItem {
  hostId: string;
  amphoraId: string;
  loadBalancerId: string;
}

/**
 * The amphorae still on DRAINING hosts whose load balancer is ACTIVE (one at work belongs to its
 * flow; it is taken at a later round), oldest load balancer first, one amphora per load
 * balancer per round so a pair moves one side at a time.
 */
export async function drainWork(db: Db): Promise<DrainItem[]> {
  // Asked twice a second and almost always idle: the host table alone answers "no drain" at
  // once, where the join below walks every amphora (tens of ms at 500 of them, embedded).
  const draining = await db.selectFrom('host').select('id').where('admin_state', '=', 'DRAINING').limit(1).executeTakeFirst();
  if (!draining) return [];
  const rows = await db
    .selectFrom('amphora')
    .innerJoin('host', 'host.id', 'amphora.host_id')
    .innerJoin('load_balancer', 'load_balancer.id', 'amphora.load_balancer_id')
    .select(['amphora.host_id', 'amphora.id', 'amphora.load_balancer_id'])
    .where('host.admin_state', '=', 'DRAINING')
    .where('amphora.status', '=', 'ALLOCATED')
    .where('load_balancer.provisioning_status', '=', 'ACTIVE')
    .orderBy('load_balancer.created_at')
    .orderBy('amphora.id')
    .execute();
  const seen = new Set<string>();
  const work: DrainItem[] = [];
  for (const r of rows) {
    if (seen.has(r.load_balancer_id!)) continue;
    seen.add(r.load_balancer_id!);
    work.push({ hostId: r.host_id!, amphoraId: r.id, loadBalancerId: r.load_balancer_id! });
  }
  return work;
}
