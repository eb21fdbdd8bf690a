// Where heartbeats go: the health managers registered (every agent is given the live ones),
// the agents to give them to, and what those agents still run that was deleted. Time is the
// database's clock, shared by every health manager process.
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { agentUrlOf, allHosts } from '../inventory/host-store.ts';

export async function registerManager(db: Db, id: string, host: string, port: number, counters: Record<string, number>): Promise<void> {
  const json = JSON.stringify(counters);
  await db
    .insertInto('health_manager')
    .values({ id, host, port, counters: json })
    .onConflict((oc) => oc.column('id').doUpdateSet({ host, port, counters: json, alive_at: sql<Date>`now()` }))
    .execute();
}

export async function managerRows(db: Db) {
  return db.selectFrom('health_manager').selectAll().orderBy('started_at').execute();
}

export async function removeManager(db: Db, id: string): Promise<void> {
  await db.deleteFrom('health_manager').where('id', '=', id).execute();
}

/** The managers that registered within `aliveMs`, in a stable order. */
export async function liveManagers(db: Db, aliveMs: number): Promise<{ host: string; port: number }[]> {
  return db
    .selectFrom('health_manager')
    .select(['host', 'port'])
    .where('alive_at', '>', sql<Date>`now() - make_interval(secs => ${aliveMs / 1000})`)
    .orderBy('host')
    .orderBy('port')
    .execute();
}

/** Of `ids`, the amphorae whose rows say they were deleted. */
export async function deletedAmphorae(db: Db, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('amphora').select('id').where('id', 'in', ids).where('status', '=', 'DELETED').execute();
  return rows.map((r) => r.id);
}

/** The agents that run amphorae. */
export async function agentUrls(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('amphora').select('agent_url').distinct().where('status', '<>', 'DELETED').where('agent_url', 'is not', null).execute();
  // Every inventory host too: a joined host knows its key before its first amphora beats.
  const hosts = await allHosts(db);
  return [...new Set([...rows.map((r) => r.agent_url!), ...hosts.map(agentUrlOf)])].sort();
}
