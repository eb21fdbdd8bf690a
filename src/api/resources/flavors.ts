// /v2/lbaas/flavors (docs/octavia-compatibility.md §5.11): read by any reader, written by admins. A flavor is
// global, so every route authorizes against the caller's own project.
import { randomUUID } from 'node:crypto';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { IdParams } from '../octavia/schema-types.ts';
import { authorize } from '../../auth/policy.ts';
import { InvalidOption, NotFound, ObjectInUse, RecordAlreadyExists } from '../../errors.ts';
import { isUuid } from '../../model/list-query.ts';
import { listGlobal, showGlobal, type GlobalSpec } from '../global-resource.ts';
import { FlavorCreate, FlavorUpdate, flavorFields, type FlavorRow } from '../octavia/flavor.ts';
import type { Db } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/unique-violation.ts';

const flavorSpec: GlobalSpec<FlavorRow> = {
  table: 'flavor',
  single: 'flavor',
  plural: 'flavors',
  linksKey: 'flavors_links',
  attrs: {
    id: { column: 'id', type: 'uuid' },
    name: { column: 'name', type: 'string' },
    description: { column: 'description', type: 'string' },
    enabled: { column: 'enabled', type: 'bool' },
    flavor_profile_id: { column: 'flavor_profile_id', type: 'uuid' },
  },
  serialize: flavorFields,
};

async function findFlavor(db: Db, id: string): Promise<FlavorRow> {
  const row = isUuid(id) ? await db.selectFrom('flavor').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst() : undefined;
  if (!row) throw new NotFound('Flavor', id);
  return row;
}

export async function flavorRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/lbaas/flavors';

  app.get(base, { config: { policy: 'flavor:get_all' } }, async (request) => {
    authorize(request, request.auth.projectId);
    return listGlobal(request, deps, flavorSpec);
  });

  app.get(`${base}/:id`, { config: { policy: 'flavor:get_one' }, schema: { params: IdParams } }, async (request) => {
    authorize(request, request.auth.projectId);
    return showGlobal(request, flavorSpec, await findFlavor(db, request.params.id));
  });

  app.post(base, { config: { policy: 'flavor:post' }, schema: { body: FlavorCreate } }, async (request, reply) => {
    authorize(request, request.auth.projectId);
    const body = request.body.flavor;
    const row = await db
      .transaction()
      .execute(async (trx) => {
        // FOR SHARE: a concurrent change of the profile's data waits and then sees this flavor.
        const profile = await trx.selectFrom('flavor_profile').select('id').where('id', '=', body.flavor_profile_id).forShare().executeTakeFirst();
        if (!profile) throw new InvalidOption(body.flavor_profile_id, 'flavor_profile_id');
        return trx
          .insertInto('flavor')
          .values({
            id: randomUUID(),
            name: body.name,
            description: body.description ?? '',
            enabled: body.enabled ?? true,
            flavor_profile_id: profile.id,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      })
      .catch((err: unknown) => {
        throw isUniqueViolation(err) ? new RecordAlreadyExists('flavor', body.name) : err;
      });
    return reply.status(201).send({ flavor: flavorFields(row) });
  });

  app.put(`${base}/:id`, { config: { policy: 'flavor:put' }, schema: { params: IdParams, body: FlavorUpdate } }, async (request) => {
    authorize(request, request.auth.projectId);
    const body = request.body.flavor;
    const existing = await findFlavor(db, request.params.id);
    const changes: Partial<Pick<FlavorRow, 'name' | 'description' | 'enabled'>> = {};
    if (body.name !== undefined) changes.name = body.name;
    if (body.description !== undefined) changes.description = body.description ?? '';
    if (body.enabled !== undefined) changes.enabled = body.enabled;
    if (Object.keys(changes).length === 0) return { flavor: flavorFields(existing) };
    const row = await db
      .updateTable('flavor')
      .set(changes)
      .where('id', '=', existing.id)
      .returningAll()
      .executeTakeFirst()
      .catch((err: unknown) => {
        throw isUniqueViolation(err) ? new RecordAlreadyExists('flavor', changes.name ?? existing.name) : err;
      });
    if (!row) throw new NotFound('Flavor', existing.id);
    return { flavor: flavorFields(row) };
  });

  app.delete(`${base}/:id`, { config: { policy: 'flavor:delete' }, schema: { params: IdParams } }, async (request, reply) => {
    authorize(request, request.auth.projectId);
    const { id } = request.params;
    await db.transaction().execute(async (trx) => {
      // FOR UPDATE waits for load balancer creates holding the flavor FOR SHARE.
      const flavor = isUuid(id) ? await trx.selectFrom('flavor').select('id').where('id', '=', id.toLowerCase()).forUpdate().executeTakeFirst() : undefined;
      if (!flavor) throw new NotFound('Flavor', id);
      const user = await trx
        .selectFrom('load_balancer')
        .select('id')
        .where('flavor_id', '=', flavor.id)
        .where('provisioning_status', '<>', 'DELETED')
        .executeTakeFirst();
      if (user) throw new ObjectInUse('Flavor', flavor.id);
      await trx.deleteFrom('flavor').where('id', '=', flavor.id).execute();
    });
    return reply.status(204).send();
  });
}
