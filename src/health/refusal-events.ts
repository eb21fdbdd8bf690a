// The durable side of a listener starting or stopping to refuse clients at a high rate
// (refusal-watch.ts decides when, per health manager). Every manager receives every heartbeat,
// so several see the same change, each from its own pair of heartbeats: which change is news
// is decided on the locked listener row against the last refusal event of that listener and
// amphora, so the fleet records one "refusing" and, later, one "stopped".
import type { Db } from '../db/database.ts';
import { sql } from 'kysely';
import { recordEvent } from '../observability/events.ts';
import { LISTENER_REFUSING, LISTENER_REFUSING_STOPPED } from '../model/event-types.ts';

export interface RefusalChange {
  state: 'started' | 'stopped';
  listenerId: string;
  amphoraId: string;
  loadBalancerId: string;
  perSecond: number;
}

/** Records the change unless it is what the last refusal event of the listener on that amphora already says. Returns the event id or null. */
export async function recordRefusalChange(db: Db, change: RefusalChange): Promise<string | null> {
  return db.transaction().execute(async (trx) => {
    const listener = await sql<{ project_id: string }>`select project_id from listener where id = ${change.listenerId} for update`.execute(trx);
    const owner = listener.rows[0];
    if (!owner) return null;
    const last = await sql<{ type: string }>`
      select type from event
      where type in (${LISTENER_REFUSING}, ${LISTENER_REFUSING_STOPPED})
        and detail ->> 'listener_id' = ${change.listenerId} and detail ->> 'amphora_id' = ${change.amphoraId}
      order by created_at desc, id desc limit 1`.execute(trx);
    const refusing = last.rows[0]?.type === LISTENER_REFUSING;
    if ((change.state === 'started') === refusing) return null;
    return recordEvent(trx, {
      type: change.state === 'started' ? LISTENER_REFUSING : LISTENER_REFUSING_STOPPED,
      projectId: owner.project_id,
      loadBalancerId: change.loadBalancerId,
      detail: {
        listener_id: change.listenerId,
        loadbalancer_id: change.loadBalancerId,
        amphora_id: change.amphoraId,
        refused_per_second: Math.round(change.perSecond),
      },
    });
  });
}
