// /v2/lbaas/quotas (docs/octavia-compatibility.md §5.9). No route loads a project-owned row, so each authorizes
// against the path's project itself (the list: against the caller's own project).
import { randomUUID } from 'node:crypto';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { Type } from '../octavia/schema-types.ts';
import { authorize, mayListAllProjects } from '../../auth/policy.ts';
import { Forbidden, NotFound } from '../../errors.ts';
import { listRows } from '../../db/list-rows.ts';
import { parseListQuery, type RawQuery } from '../../model/list-query.ts';
import { pageLinks } from '../links.ts';
import { quotaChanges, QUOTA_RESOURCES } from '../../model/quota.ts';
import { projectLimits } from '../quota-check.ts';
import { QuotaUpdate, quotaFields, storedQuota, type QuotaRow } from '../octavia/quota.ts';

// A project id as every project_id field takes it (Octavia's 36 characters): a quota for a
// longer one could never apply to an object, so it is refused rather than stored.
const ProjectParams = Type.Object({ project_id: Type.String({ minLength: 1, maxLength: 36 }) });

const QUOTA_ATTRS = { project_id: { column: 'project_id', type: 'string' } } as const;

export async function quotaRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/lbaas/quotas';

  const effective = async (projectId: string) => {
    const row = await db.selectFrom('quota').selectAll().where('project_id', '=', projectId).executeTakeFirst();
    return quotaFields(projectId, projectLimits(deps.config, row ?? null));
  };

  app.get(base, { config: { policy: 'quota:get_all' } }, async (request) => {
    const query = parseListQuery(request.query as RawQuery, QUOTA_ATTRS, deps.config.paginationMaxLimit, { tags: false });
    const where: Record<string, string> = {};
    // mayListAllProjects authorizes quota:get_all for the caller's own project first.
    if (!mayListAllProjects(request)) {
      if (query.projectId !== null && query.projectId !== request.auth.projectId) throw new Forbidden();
      where.project_id = request.auth.projectId ?? '';
    }
    const rows = await listRows<QuotaRow>(db, 'quota', query, { where });
    // Listed as stored: null means the project uses the deployment default.
    return {
      quotas: rows.map((r) => quotaFields(r.project_id, storedQuota(r))),
      quotas_links: pageLinks(request, deps.config.apiBaseUri, query, rows),
    };
  });

  app.get(`${base}/:project_id`, { config: { policy: 'quota:get_one' }, schema: { params: ProjectParams } }, async (request) => {
    const { project_id: projectId } = request.params;
    authorize(request, projectId);
    return { quota: await effective(projectId) };
  });

  app.get(`${base}/:project_id/default`, { config: { policy: 'quota:get_defaults' }, schema: { params: ProjectParams } }, async (request) => {
    const { project_id: projectId } = request.params;
    authorize(request, projectId);
    return { quota: quotaFields(projectId, deps.config.quotaDefaults) };
  });

  app.put(
    `${base}/:project_id`,
    { config: { policy: 'quota:put' }, schema: { params: ProjectParams, body: QuotaUpdate } },
    async (request, reply) => {
      const { project_id: projectId } = request.params;
      authorize(request, projectId);
      const changes = quotaChanges(request.body.quota as Record<string, number | null | undefined>);
      await db
        .insertInto('quota')
        .values({ id: randomUUID(), project_id: projectId, ...changes })
        .onConflict((oc) => (Object.keys(changes).length ? oc.column('project_id').doUpdateSet(changes) : oc.column('project_id').doNothing()))
        .execute();
      return reply.status(202).send({ quota: await effective(projectId) });
    },
  );

  app.delete(`${base}/:project_id`, { config: { policy: 'quota:delete' }, schema: { params: ProjectParams } }, async (request, reply) => {
    const { project_id: projectId } = request.params;
    authorize(request, projectId);
    const reset = Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, null]));
    const updated = await db.updateTable('quota').set(reset).where('project_id', '=', projectId).returning('id').executeTakeFirst();
    if (!updated) throw new NotFound('Quotas', projectId);
    return reply.status(202).send();
  });
}
