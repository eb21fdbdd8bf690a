// Whether a statement's result means the stored data changed: the rule behind the embedded
// database's data version, which lets readers in the one process that owns the database know
// that nothing was written since they last looked. Pure; errs on the side of "changed".

/** What a pg result says about its statement. */
export interface StatementResult {
  command?: string | null;
  rowCount?: number | null;
}

/** Statements that never change stored rows. */
const READ_OR_CONTROL = new Set(['SELECT', 'BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'SHOW', 'SET', 'LISTEN', 'UNLISTEN', 'NOTIFY', 'FETCH', 'DECLARE', 'CLOSE']);
const ROW_WRITES = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/** A SELECT whose text holds a data-modifying statement (a CTE, or `for update` locks, conservatively). */
const WRITE_IN_TEXT = /\b(insert\s+into|update\s|delete\s+from)/i;

export function changesData(text: string, result: StatementResult): boolean {
  const command = (result.command ?? '').toUpperCase();
  if (ROW_WRITES.has(command)) return (result.rowCount ?? 1) > 0;
  if (command === 'SELECT') return WRITE_IN_TEXT.test(text);
  return !READ_OR_CONTROL.has(command);
}
