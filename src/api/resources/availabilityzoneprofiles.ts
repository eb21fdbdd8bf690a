// /v2/lbaas/availabilityzoneprofiles (docs/octavia-compatibility.md §5.12), admin-only; the same rules as flavor
// profiles, with availability_zone_data validated by the provider.
import { randomUUID } from 'node:crypto';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { IdParams } from '../octavia/schema-types.ts';
import { authorize } from '../../auth/policy.ts';
import { InvalidOption, NotFound, ObjectInUse } from '../../errors.ts';
import { isUuid } from '../../model/list-query.ts';
import { listGlobal, showGlobal, type GlobalSpec } from '../global-resource.ts';
import { enabledDriver } from '../lb-placement.ts';
import { parseMetadata, validateAvailabilityZone } from '../../providers/metadata.ts';
import {
  AvailabilityZoneProfileCreate,
  AvailabilityZoneProfileUpdate,
  availabilityZoneProfileFields,
  type AvailabilityZoneProfileRow,
} from '../octavia/availability-zone.ts';
import type { Db } from '../../db/database.ts';

const availabilityZoneProfileSpec: GlobalSpec<AvailabilityZoneProfileRow> = {
  table: 'availability_zone_profile',
  single: 'availability_zone_profile',
  plural: 'availability_zone_profiles',
  // Singular, as Octavia spells it (docs/octavia-compatibility.md §9.3).
  linksKey: 'availability_zone_profile_links',
  attrs: {
    id: { column: 'id', type: 'uuid' },
    name: { column: 'name', type: 'string' },
    provider_name: { column: 'provider_name', type: 'string' },
    availability_zone_data: { column: 'availability_zone_data', type: 'string' },
  },
  serialize: availabilityZoneProfileFields,
};

const DISPLAY = 'Availability Zone Profile';

async function findProfile(db: Db, id: string): Promise<AvailabilityZoneProfileRow> {
  const row = isUuid(id)
    ? await db.selectFrom('availability_zone_profile').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst()
    : undefined;
  if (!row) throw new NotFound(DISPLAY, id);
  return row;
}

function checkZoneData(deps: ApiDeps, provider: string, data: string): void {
  const metadata = parseMetadata('availability_zone_data', data);
  validateAvailabilityZone(enabledDriver(deps, provider), metadata);
}

export async function availabilityZoneProfileRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/lbaas/availabilityzoneprofiles';

  app.get(base, { config: { policy: 'availability-zone-profile:get_all' } }, async (request) => {
    authorize(request, request.auth.projectId);
    return listGlobal(request, deps, availabilityZoneProfileSpec);
  });

  app.get(`${base}/:id`, { config: { policy: 'availability-zone-profile:get_one' }, schema: { params: IdParams } }, async (request) => {
    authorize(request, request.auth.projectId);
    return showGlobal(request, availabilityZoneProfileSpec, await findProfile(db, request.params.id));
  });

  app.post(
    base,
    { config: { policy: 'availability-zone-profile:post' }, schema: { body: AvailabilityZoneProfileCreate } },
    async (request, reply) => {
      authorize(request, request.auth.projectId);
      const body = request.body.availability_zone_profile;
      checkZoneData(deps, body.provider_name, body.availability_zone_data);
      const row = await db
        .insertInto('availability_zone_profile')
        .values({ id: randomUUID(), name: body.name, provider_name: body.provider_name, availability_zone_data: body.availability_zone_data })
        .returningAll()
        .executeTakeFirstOrThrow();
      return reply.status(201).send({ availability_zone_profile: availabilityZoneProfileFields(row) });
    },
  );

  app.put(
    `${base}/:id`,
    { config: { policy: 'availability-zone-profile:put' }, schema: { params: IdParams, body: AvailabilityZoneProfileUpdate } },
    async (request) => {
      authorize(request, request.auth.projectId);
      const body = request.body.availability_zone_profile;
      for (const field of ['name', 'provider_name', 'availability_zone_data'] as const) {
        if (body[field] === null) throw new InvalidOption('None', field);
      }
      const { id } = request.params;
      const row = await db.transaction().execute(async (trx) => {
        const existing = isUuid(id)
          ? await trx.selectFrom('availability_zone_profile').selectAll().where('id', '=', id.toLowerCase()).forUpdate().executeTakeFirst()
          : undefined;
        if (!existing) throw new NotFound(DISPLAY, id);
        const changes: Partial<Pick<AvailabilityZoneProfileRow, 'name' | 'provider_name' | 'availability_zone_data'>> = {};
        if (body.name != null) changes.name = body.name;
        if (body.provider_name != null) changes.provider_name = body.provider_name;
        if (body.availability_zone_data != null) changes.availability_zone_data = body.availability_zone_data;
        if (changes.provider_name !== undefined || changes.availability_zone_data !== undefined) {
          const used = await trx.selectFrom('availability_zone').select('id').where('availability_zone_profile_id', '=', existing.id).executeTakeFirst();
          if (used) throw new ObjectInUse(DISPLAY, existing.id);
          checkZoneData(deps, changes.provider_name ?? existing.provider_name, changes.availability_zone_data ?? existing.availability_zone_data);
        }
        if (Object.keys(changes).length === 0) return existing;
        return trx.updateTable('availability_zone_profile').set(changes).where('id', '=', existing.id).returningAll().executeTakeFirstOrThrow();
      });
      return { availability_zone_profile: availabilityZoneProfileFields(row) };
    },
  );

  app.delete(
    `${base}/:id`,
    { config: { policy: 'availability-zone-profile:delete' }, schema: { params: IdParams } },
    async (request, reply) => {
      authorize(request, request.auth.projectId);
      const { id } = request.params;
      await db.transaction().execute(async (trx) => {
        const existing = isUuid(id)
          ? await trx.selectFrom('availability_zone_profile').select('id').where('id', '=', id.toLowerCase()).forUpdate().executeTakeFirst()
          : undefined;
        if (!existing) throw new NotFound(DISPLAY, id);
        const used = await trx.selectFrom('availability_zone').select('id').where('availability_zone_profile_id', '=', existing.id).executeTakeFirst();
        if (used) throw new ObjectInUse(DISPLAY, existing.id);
        await trx.deleteFrom('availability_zone_profile').where('id', '=', existing.id).execute();
      });
      return reply.status(204).send();
    },
  );
}
