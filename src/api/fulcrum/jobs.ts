// /v2/fulcrum/jobs: the flow records behind every change, with their state and the reason of
// a failure, for operators.
import type { Selectable } from 'kysely';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import type { JobTable } from '../../db/schema.ts';
import { listRows } from '../../db/list-rows.ts';
import { InvalidListQuery, NotFound } from '../../errors.ts';
import { authorize } from '../../auth/policy.ts';
import { parseListQuery, type RawQuery } from '../../model/list-query.ts';
import { octaviaTime } from '../octavia/common.ts';
import { pageLinks } from '../links.ts';

type JobRow = Selectable<JobTable>;

export function serializeJob(row: JobRow) {
  return {
    id: String(row.id),
    kind: row.kind,
    state: row.state,
    phase: row.phase,
    load_balancer_id: row.load_balancer_id,
    attempts: row.attempts,
    max_attempts: row.max_attempts,
    /** Passes of the reverting phase that stopped on a revert that threw (retried with backoff). */
    revert_attempts: row.revert_attempts,
    last_error: row.last_error,
    operation: row.payload,
    created_at: octaviaTime(row.created_at),
    updated_at: octaviaTime(row.updated_at),
    finished_at: octaviaTime(row.finished_at),
  };
}

const JOB_ID = /^\d{1,18}$/;

function jobMarker(raw: string | string[] | undefined): string | null {
  if (raw === undefined) return null;
  if (Array.isArray(raw)) throw new InvalidListQuery();
  if (!JOB_ID.test(raw)) throw new InvalidListQuery(`Supplied pagination marker '${raw}' is not valid.`);
  return raw;
}

export async function jobRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  app.get('/v2/fulcrum/jobs', { config: { policy: 'fulcrum:job:get_all' } }, async (request) => {
    authorize(request, request.auth.projectId);
    // Job ids are sequence numbers, not UUIDs: the marker is read here, not by parseListQuery.
    const { marker, ...rest } = request.query as RawQuery;
    const query = parseListQuery(
      rest,
      {
        load_balancer_id: { column: 'load_balancer_id', type: 'uuid' },
        state: { column: 'state', type: 'string' },
        kind: { column: 'kind', type: 'string' },
        created_at: { column: 'created_at', type: 'time' },
        id: { column: 'id', type: 'int' },
      },
      deps.config.paginationMaxLimit,
      { tags: false },
    );
    query.marker = jobMarker(marker);
    const rows = await listRows<JobRow>(db, 'job', query, { where: {} });
    const jobs = rows.map(serializeJob);
    return { jobs, jobs_links: pageLinks(request, deps.config.apiBaseUri, query, jobs) };
  });

  app.get('/v2/fulcrum/jobs/:id', { config: { policy: 'fulcrum:job:get_one' } }, async (request) => {
    authorize(request, request.auth.projectId);
    const { id } = request.params as { id: string };
    const row = JOB_ID.test(id) ? await db.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    if (!row) throw new NotFound('Job', id);
    return { job: serializeJob(row) };
  });
}
