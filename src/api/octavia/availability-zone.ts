// Availability zones and AZ profiles ⇄ Octavia JSON (docs/octavia-compatibility.md §5.12). A zone is addressed by
// its name; its internal id never appears in a response.
import type { Selectable } from 'kysely';
import type { AvailabilityZoneProfileTable, AvailabilityZoneTable } from '../../db/schema.ts';
import { Name, Nullable, Strict, Type, Uuid, Wrapped } from './schema-types.ts';
import { METADATA_MAX } from './flavor.ts';

export type AvailabilityZoneRow = Selectable<AvailabilityZoneTable>;
export type AvailabilityZoneProfileRow = Selectable<AvailabilityZoneProfileTable>;

const ProviderName = Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\u0000]*$' });
const Metadata = Type.String({ maxLength: METADATA_MAX, pattern: '^[^\\u0000]*$' });
// A zone's name is a path segment: no "/" (it could never be addressed) and not empty.
const ZoneName = Type.String({ minLength: 1, maxLength: 255, pattern: '^[^/\\u0000]*$' });

export const AvailabilityZoneCreate = Wrapped(
  'availability_zone',
  Strict({
    name: ZoneName,
    description: Type.Optional(Nullable(Name)),
    enabled: Type.Optional(Type.Boolean()),
    availability_zone_profile_id: Uuid,
  }),
);

export const AvailabilityZoneUpdate = Wrapped(
  'availability_zone',
  Strict({
    description: Type.Optional(Nullable(Name)),
    enabled: Type.Optional(Type.Boolean()),
  }),
);

export const AvailabilityZoneProfileCreate = Wrapped(
  'availability_zone_profile',
  Strict({ name: Name, provider_name: ProviderName, availability_zone_data: Metadata }),
);

export const AvailabilityZoneProfileUpdate = Wrapped(
  'availability_zone_profile',
  Strict({
    name: Type.Optional(Nullable(Name)),
    provider_name: Type.Optional(Nullable(ProviderName)),
    availability_zone_data: Type.Optional(Nullable(Metadata)),
  }),
);

export function availabilityZoneFields(row: AvailabilityZoneRow) {
  return {
    name: row.name,
    description: row.description,
    enabled: row.enabled,
    availability_zone_profile_id: row.availability_zone_profile_id,
  };
}

export function availabilityZoneProfileFields(row: AvailabilityZoneProfileRow) {
  return { id: row.id, name: row.name, provider_name: row.provider_name, availability_zone_data: row.availability_zone_data };
}
