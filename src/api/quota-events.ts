// The quota.reached event. A create refused for quota rolls its transaction back, so the event
// is written afterwards, on its own, from the error the refusal raised. One per project and
// resource set per minute at most: a client retrying in a loop does not flood the event log.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/database.ts';
import { QuotaExceeded } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { recordEventNow } from '../observability/events.ts';

const BUCKET_MS = 60_000;

/** An `onError` hook that records quota.reached for every create refused by quota. */
export function quotaEventHook(db: Db, log: Logger) {
  return async (request: FastifyRequest, _reply: FastifyReply, error: Error): Promise<void> => {
    if (!(error instanceof QuotaExceeded) || error.projectId === null) return;
    const resources = [...error.resources].sort();
    const bucket = Math.floor(Date.now() / BUCKET_MS);
    await recordEventNow(db, {
      type: 'quota.reached',
      projectId: error.projectId,
      loadBalancerId: null,
      detail: { resources, method: request.method, path: request.url.split('?')[0] },
      dedupeKey: `quota.reached:${error.projectId}:${resources.join(',')}:${bucket}`,
    }).catch((err: unknown) => log.warn({ err }, 'could not record the quota.reached event'));
  };
}
