// Whether a statement's result means the stored data changed: the rule behind the embedded
// database's data version, which lets readers in the one process that owns the database know
// that nothing was written since they last looked. Pure; errs on the side of "changed".
//
// The health manager writes liveness, counters and host heartbeats several times a second; none
// of the answers cached by the version (src/api/resource.ts: the tenant resources, certificates
// and the amphora view) is read from those tables, so writes that touch only them leave the
// version alone. Otherwise, at a few hundred amphorae, every cached answer would be stale
// within half a second and every show would go back to the database.

/** What a pg result says about its statement. */
export interface StatementResult {
  command?: string | null;
  rowCount?: number | null;
}

/** Statements that never change stored rows. */
const READ_OR_CONTROL = new Set(['SELECT', 'BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'SHOW', 'SET', 'LISTEN', 'UNLISTEN', 'NOTIFY', 'FETCH', 'DECLARE', 'CLOSE']);
const ROW_WRITES = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/**
 * Tables no cached API answer reads: health bookkeeping (liveness, counter epochs, statistics,
 * figures, breakers, managers, keys), the inventory's host rows and the job queue. A test reads
 * every cached resource's serializer against this list (test/unit/data-version.test.ts).
 */
export const UNCACHED_TABLES: ReadonlySet<string> = new Set([
  'amphora_health',
  'health_manager',
  'heartbeat_key',
  'failover_breaker',
  'listener_counter_epoch',
  'listener_statistics',
  'proxy_figures',
  'proxy_figures_epoch',
  'host',
  'job',
]);

/**
 * The table after each `insert into`, `update` and `delete from` in a statement's text; not the
 * `update` of `for update`, `for no key update` or `on conflict do update`.
 */
const WRITE_TARGET = /\b(?:insert\s+into|(?<!\b(?:for|do|key)\s+)update|delete\s+from)\s+("?)([a-z_][a-z0-9_]*)\1/gi;

function writeTargets(text: string): string[] {
  return [...text.matchAll(WRITE_TARGET)].map((m) => m[2].toLowerCase());
}

/** Whether every table the statement writes is known and uncached; false when none is found. */
function writesOnlyUncached(text: string): boolean {
  const targets = writeTargets(text);
  return targets.length > 0 && targets.every((t) => UNCACHED_TABLES.has(t));
}

/** A SELECT whose text holds a data-modifying statement (a CTE, or `for update` locks, conservatively). */
const WRITE_IN_TEXT = /\b(insert\s+into|update\s|delete\s+from)/i;

export function changesData(text: string, result: StatementResult): boolean {
  const command = (result.command ?? '').toUpperCase();
  if (ROW_WRITES.has(command)) return (result.rowCount ?? 1) > 0 && !writesOnlyUncached(text);
  if (command === 'SELECT') return WRITE_IN_TEXT.test(text) && !writesOnlyUncached(text);
  return !READ_OR_CONTROL.has(command);
}
