// /v2/fulcrum/loadbalancers/{id}/logs: a load balancer's access log, read from its amphorae's
// agents (src/providers/amphora/access-logs.ts), for the load balancer's project under the same
// policy as reading the load balancer. `?follow=true` streams newline-delimited JSON: the
// newest lines first, then every new line as the agents receive it, until the client goes away
// or the stream reaches its lifetime (the client then asks again).
import { PassThrough } from 'node:stream';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { IdParams } from '../octavia/schema-types.ts';
import { authorize } from '../../auth/policy.ts';
import { InvalidInput, NotFound } from '../../errors.ts';
import { isUuid } from '../../model/list-query.ts';
import { readLoadBalancerLogs, type LogCursor } from '../../providers/amphora/access-logs.ts';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** How often a follower's agents are asked for new lines. */
const FOLLOW_POLL_MS = 250;
/** A follow stream ends after this; `fulcrum lb logs --follow` reconnects. */
export const FOLLOW_LIFETIME_MS = 15 * 60_000;

interface LogQuery {
  sinceMs: number | undefined;
  limit: number;
  follow: boolean;
}

function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidInput(`Invalid input for query parameter ${name}: give it once.`);
  return value;
}

function parseLogQuery(query: Record<string, unknown>): LogQuery {
  const unknown = Object.keys(query).filter((k) => !['since', 'limit', 'follow'].includes(k));
  if (unknown.length > 0) throw new InvalidInput(`Invalid input: unknown query parameter ${unknown.join(', ')}; logs takes since, limit and follow.`);
  const since = single(query, 'since');
  // ISO 8601 with a date and a time; a zone-less time is UTC, as Octavia's timestamps are.
  const sinceMs = since === undefined ? undefined : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/.test(since) ? Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(since) ? since : `${since}Z`) : NaN;
  if (Number.isNaN(sinceMs)) throw new InvalidInput(`Invalid input for query parameter since: '${since}' is not an ISO 8601 time such as 2026-01-31T12:00:00Z.`);
  const limitText = single(query, 'limit');
  if (limitText !== undefined && (!/^\d{1,9}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_LIMIT)) {
    throw new InvalidInput(`Invalid input for query parameter limit: '${limitText}' is not a whole number from 1 to ${MAX_LIMIT}.`);
  }
  const follow = single(query, 'follow');
  if (follow !== undefined && !['true', 'false'].includes(follow.toLowerCase())) throw new InvalidInput(`Invalid input for query parameter follow: '${follow}' is not true or false.`);
  return { sinceMs, limit: limitText === undefined ? DEFAULT_LIMIT : Number(limitText), follow: follow?.toLowerCase() === 'true' };
}

export async function logRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const log = deps.log.child({ role: 'api-logs' });

  app.get('/v2/fulcrum/loadbalancers/:id/logs', { config: { policy: 'fulcrum:loadbalancer:get_logs' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params;
    const lb = isUuid(id)
      ? await db.selectFrom('load_balancer').select(['id', 'project_id']).where('id', '=', id.toLowerCase()).where('provisioning_status', '<>', 'DELETED').executeTakeFirst()
      : undefined;
    if (!lb) throw new NotFound('Load Balancer', id);
    authorize(request, lb.project_id);
    const query = parseLogQuery(request.query as Record<string, unknown>);
    const agents = await deps.agents();
    if (!query.follow) return { logs: await readLoadBalancerLogs(db, agents, lb.id, { sinceMs: query.sinceMs, limit: query.limit }, log) };

    const stream = new PassThrough();
    const cursor: LogCursor = new Map();
    let open = true;
    const end = () => {
      if (!open) return;
      open = false;
      clearTimeout(lifetime);
      stream.end();
    };
    const lifetime = setTimeout(end, FOLLOW_LIFETIME_MS);
    request.raw.once('close', end);
    void (async () => {
      let read = { sinceMs: query.sinceMs, limit: query.limit, cursor };
      while (open) {
        try {
          const lines = await readLoadBalancerLogs(db, agents, lb.id, read, log);
          if (open && lines.length > 0) stream.write(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
        } catch (err) {
          log.warn({ err, load_balancer_id: lb.id }, 'access log follow stopped');
          end();
          return;
        }
        read = { sinceMs: undefined, limit: MAX_LIMIT, cursor };
        await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
      }
    })();
    return reply.header('content-type', 'application/x-ndjson').header('cache-control', 'no-store').send(stream);
  });
}
