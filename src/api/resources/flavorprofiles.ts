// /v2/lbaas/flavorprofiles (docs/octavia-compatibility.md §5.11), admin-only. The provider validates flavor_data on
// create and update; provider and data are fixed while a flavor uses the profile.
import { randomUUID } from 'node:crypto';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { IdParams } from '../octavia/schema-types.ts';
import { authorize } from '../../auth/policy.ts';
import { InvalidOption, NotFound, ObjectInUse } from '../../errors.ts';
import { isUuid } from '../../model/list-query.ts';
import { listGlobal, showGlobal, type GlobalSpec } from '../global-resource.ts';
import { enabledDriver } from '../lb-placement.ts';
import { parseMetadata, validateFlavor } from '../../providers/metadata.ts';
import { FlavorProfileCreate, FlavorProfileUpdate, flavorProfileFields, type FlavorProfileRow } from '../octavia/flavor.ts';
import type { Db } from '../../db/database.ts';

const flavorProfileSpec: GlobalSpec<FlavorProfileRow> = {
  table: 'flavor_profile',
  single: 'flavorprofile',
  plural: 'flavorprofiles',
  // Singular, as Octavia spells it (docs/octavia-compatibility.md §9.3).
  linksKey: 'flavorprofile_links',
  attrs: {
    id: { column: 'id', type: 'uuid' },
    name: { column: 'name', type: 'string' },
    provider_name: { column: 'provider_name', type: 'string' },
    flavor_data: { column: 'flavor_data', type: 'string' },
  },
  serialize: flavorProfileFields,
};

const DISPLAY = 'Flavor Profile';

async function findProfile(db: Db, id: string): Promise<FlavorProfileRow> {
  const row = isUuid(id) ? await db.selectFrom('flavor_profile').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst() : undefined;
  if (!row) throw new NotFound(DISPLAY, id);
  return row;
}

function checkFlavorData(deps: ApiDeps, provider: string, data: string): void {
  const metadata = parseMetadata('flavor_data', data);
  validateFlavor(enabledDriver(deps, provider), metadata);
}

export async function flavorProfileRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/lbaas/flavorprofiles';

  app.get(base, { config: { policy: 'flavor-profile:get_all' } }, async (request) => {
    authorize(request, request.auth.projectId);
    return listGlobal(request, deps, flavorProfileSpec);
  });

  app.get(`${base}/:id`, { config: { policy: 'flavor-profile:get_one' }, schema: { params: IdParams } }, async (request) => {
    authorize(request, request.auth.projectId);
    return showGlobal(request, flavorProfileSpec, await findProfile(db, request.params.id));
  });

  app.post(base, { config: { policy: 'flavor-profile:post' }, schema: { body: FlavorProfileCreate } }, async (request, reply) => {
    authorize(request, request.auth.projectId);
    const body = request.body.flavorprofile;
    checkFlavorData(deps, body.provider_name, body.flavor_data);
    const row = await db
      .insertInto('flavor_profile')
      .values({ id: randomUUID(), name: body.name, provider_name: body.provider_name, flavor_data: body.flavor_data })
      .returningAll()
      .executeTakeFirstOrThrow();
    return reply.status(201).send({ flavorprofile: flavorProfileFields(row) });
  });

  app.put(
    `${base}/:id`,
    { config: { policy: 'flavor-profile:put' }, schema: { params: IdParams, body: FlavorProfileUpdate } },
    async (request) => {
      authorize(request, request.auth.projectId);
      const body = request.body.flavorprofile;
      for (const field of ['name', 'provider_name', 'flavor_data'] as const) {
        if (body[field] === null) throw new InvalidOption('None', field);
      }
      const { id } = request.params;
      const row = await db.transaction().execute(async (trx) => {
        const existing = isUuid(id) ? await trx.selectFrom('flavor_profile').selectAll().where('id', '=', id.toLowerCase()).forUpdate().executeTakeFirst() : undefined;
        if (!existing) throw new NotFound(DISPLAY, id);
        const changes: Partial<Pick<FlavorProfileRow, 'name' | 'provider_name' | 'flavor_data'>> = {};
        if (body.name != null) changes.name = body.name;
        if (body.provider_name != null) changes.provider_name = body.provider_name;
        if (body.flavor_data != null) changes.flavor_data = body.flavor_data;
        if (changes.provider_name !== undefined || changes.flavor_data !== undefined) {
          const used = await trx.selectFrom('flavor').select('id').where('flavor_profile_id', '=', existing.id).executeTakeFirst();
          if (used) throw new ObjectInUse(DISPLAY, existing.id);
          checkFlavorData(deps, changes.provider_name ?? existing.provider_name, changes.flavor_data ?? existing.flavor_data);
        }
        if (Object.keys(changes).length === 0) return existing;
        return trx.updateTable('flavor_profile').set(changes).where('id', '=', existing.id).returningAll().executeTakeFirstOrThrow();
      });
      return { flavorprofile: flavorProfileFields(row) };
    },
  );

  app.delete(`${base}/:id`, { config: { policy: 'flavor-profile:delete' }, schema: { params: IdParams } }, async (request, reply) => {
    authorize(request, request.auth.projectId);
    const { id } = request.params;
    await db.transaction().execute(async (trx) => {
      const existing = isUuid(id) ? await trx.selectFrom('flavor_profile').select('id').where('id', '=', id.toLowerCase()).forUpdate().executeTakeFirst() : undefined;
      if (!existing) throw new NotFound(DISPLAY, id);
      const used = await trx.selectFrom('flavor').select('id').where('flavor_profile_id', '=', existing.id).executeTakeFirst();
      if (used) throw new ObjectInUse(DISPLAY, existing.id);
      await trx.deleteFrom('flavor_profile').where('id', '=', existing.id).execute();
    });
    return reply.status(204).send();
  });
}
