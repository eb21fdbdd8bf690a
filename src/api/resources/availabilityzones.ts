// /v2/lbaas/availabilityzones (docs/octavia-compatibility.md §5.12): addressed by name; read by any reader, written
// by admins. Global, so every route authorizes against the caller's own project.
import { randomUUID } from 'node:crypto';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { Type } from '../octavia/schema-types.ts';
import { authorize } from '../../auth/policy.ts';
import { InvalidOption, NotFound, ObjectInUse, RecordAlreadyExists } from '../../errors.ts';
import { listGlobal, showGlobal, type GlobalSpec } from '../global-resource.ts';
import { isUniqueViolation } from '../../db/unique-violation.ts';
import {
  AvailabilityZoneCreate,
  AvailabilityZoneUpdate,
  availabilityZoneFields,
  type AvailabilityZoneRow,
} from '../octavia/availability-zone.ts';
import type { Db } from '../../db/database.ts';

const availabilityZoneSpec: GlobalSpec<AvailabilityZoneRow> = {
  table: 'availability_zone',
  single: 'availability_zone',
  plural: 'availability_zones',
  linksKey: 'availability_zones_links',
  attrs: {
    name: { column: 'name', type: 'string' },
    description: { column: 'description', type: 'string' },
    enabled: { column: 'enabled', type: 'bool' },
    availability_zone_profile_id: { column: 'availability_zone_profile_id', type: 'uuid' },
  },
  serialize: availabilityZoneFields,
};

const NameParams = Type.Object({ name: Type.String() });
const DISPLAY = 'Availability Zone';

async function findZone(db: Db, name: string): Promise<AvailabilityZoneRow> {
  const row = await db.selectFrom('availability_zone').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw new NotFound(DISPLAY, name);
  return row;
}

export async function availabilityZoneRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const base = '/v2/lbaas/availabilityzones';

  app.get(base, { config: { policy: 'availability-zone:get_all' } }, async (request) => {
    authorize(request, request.auth.projectId);
    return listGlobal(request, deps, availabilityZoneSpec);
  });

  app.get(`${base}/:name`, { config: { policy: 'availability-zone:get_one' }, schema: { params: NameParams } }, async (request) => {
    authorize(request, request.auth.projectId);
    return showGlobal(request, availabilityZoneSpec, await findZone(db, request.params.name));
  });

  app.post(base, { config: { policy: 'availability-zone:post' }, schema: { body: AvailabilityZoneCreate } }, async (request, reply) => {
    authorize(request, request.auth.projectId);
    const body = request.body.availability_zone;
    const row = await db
      .transaction()
      .execute(async (trx) => {
        const profile = await trx
          .selectFrom('availability_zone_profile')
          .select('id')
          .where('id', '=', body.availability_zone_profile_id)
          .forShare()
          .executeTakeFirst();
        if (!profile) throw new InvalidOption(body.availability_zone_profile_id, 'availability_zone_profile_id');
        return trx
          .insertInto('availability_zone')
          .values({
            id: randomUUID(),
            name: body.name,
            description: body.description ?? '',
            enabled: body.enabled ?? true,
            availability_zone_profile_id: profile.id,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      })
      .catch((err: unknown) => {
        throw isUniqueViolation(err) ? new RecordAlreadyExists('availability zone', body.name) : err;
      });
    return reply.status(201).send({ availability_zone: availabilityZoneFields(row) });
  });

  app.put(
    `${base}/:name`,
    { config: { policy: 'availability-zone:put' }, schema: { params: NameParams, body: AvailabilityZoneUpdate } },
    async (request) => {
      authorize(request, request.auth.projectId);
      const body = request.body.availability_zone;
      const existing = await findZone(db, request.params.name);
      const changes: Partial<Pick<AvailabilityZoneRow, 'description' | 'enabled'>> = {};
      if (body.description !== undefined) changes.description = body.description ?? '';
      if (body.enabled !== undefined) changes.enabled = body.enabled;
      if (Object.keys(changes).length === 0) return { availability_zone: availabilityZoneFields(existing) };
      const row = await db.updateTable('availability_zone').set(changes).where('id', '=', existing.id).returningAll().executeTakeFirst();
      if (!row) throw new NotFound(DISPLAY, existing.name);
      return { availability_zone: availabilityZoneFields(row) };
    },
  );

  app.delete(`${base}/:name`, { config: { policy: 'availability-zone:delete' }, schema: { params: NameParams } }, async (request, reply) => {
    authorize(request, request.auth.projectId);
    const { name } = request.params;
    await db.transaction().execute(async (trx) => {
      // FOR UPDATE waits for load balancer creates holding the zone FOR SHARE.
      const zone = await trx.selectFrom('availability_zone').select(['id', 'name']).where('name', '=', name).forUpdate().executeTakeFirst();
      if (!zone) throw new NotFound(DISPLAY, name);
      const user = await trx
        .selectFrom('load_balancer')
        .select('id')
        .where('availability_zone', '=', zone.name)
        .where('provisioning_status', '<>', 'DELETED')
        .executeTakeFirst();
      if (user) throw new ObjectInUse(DISPLAY, zone.name);
      await trx.deleteFrom('availability_zone').where('id', '=', zone.id).execute();
    });
    return reply.status(204).send();
  });
}
