// Keeps a listener's L7 policy positions dense 1..N (docs/octavia-compatibility.md §5.7), inside the caller's
// transaction: the API's when a policy is created or moved, completion's when one is deleted.
import type { Transaction } from 'kysely';
import type { Schema } from './schema.ts';
import { placePolicy, policyOrder, positionChanges } from '../model/l7-policy.ts';

type Trx = Transaction<Schema>;

async function placesOf(trx: Trx, listenerId: string) {
  return trx.selectFrom('l7policy').select(['id', 'position', 'created_at']).where('listener_id', '=', listenerId).execute();
}

async function write(trx: Trx, changes: { id: string; position: number }[]): Promise<void> {
  for (const { id, position } of changes) await trx.updateTable('l7policy').set({ position }).where('id', '=', id).execute();
}

/**
 * Places policy `id` at `position` among the listener's policies (it may be new and not yet
 * inserted) and renumbers the others; returns the position it gets.
 */
export async function placeL7Policy(trx: Trx, listenerId: string, id: string, position: number | null | undefined): Promise<number> {
  const current = await placesOf(trx, listenerId);
  const order = placePolicy(policyOrder(current), id, position);
  await write(trx, positionChanges(current, order).filter((p) => p.id !== id));
  return order.indexOf(id) + 1;
}

/** Closes the gaps a removed policy left. */
export async function renumberL7Policies(trx: Trx, listenerId: string): Promise<void> {
  const current = await placesOf(trx, listenerId);
  await write(trx, positionChanges(current, policyOrder(current)));
}
