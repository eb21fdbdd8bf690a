// Flavors and flavor profiles ⇄ Octavia JSON (docs/octavia-compatibility.md §5.11). Profiles keep their
// `flavor_data` as the JSON text the operator sent.
import type { Selectable } from 'kysely';
import type { FlavorProfileTable, FlavorTable } from '../../db/schema.ts';
import { Name, Nullable, Strict, Type, Uuid, Wrapped } from './schema-types.ts';

export type FlavorRow = Selectable<FlavorTable>;
export type FlavorProfileRow = Selectable<FlavorProfileTable>;

export const METADATA_MAX = 4096;
const ProviderName = Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\u0000]*$' });
const Metadata = Type.String({ maxLength: METADATA_MAX, pattern: '^[^\\u0000]*$' });

export const FlavorCreate = Wrapped(
  'flavor',
  Strict({
    name: Name,
    description: Type.Optional(Nullable(Name)),
    enabled: Type.Optional(Type.Boolean()),
    flavor_profile_id: Uuid,
  }),
);

export const FlavorUpdate = Wrapped(
  'flavor',
  Strict({
    name: Type.Optional(Name),
    description: Type.Optional(Nullable(Name)),
    enabled: Type.Optional(Type.Boolean()),
  }),
);

export const FlavorProfileCreate = Wrapped(
  'flavorprofile',
  Strict({ name: Name, provider_name: ProviderName, flavor_data: Metadata }),
);

/** Null passes the schema so the handler can answer Octavia's `None is not a valid option for …`. */
export const FlavorProfileUpdate = Wrapped(
  'flavorprofile',
  Strict({
    name: Type.Optional(Nullable(Name)),
    provider_name: Type.Optional(Nullable(ProviderName)),
    flavor_data: Type.Optional(Nullable(Metadata)),
  }),
);

export function flavorFields(row: FlavorRow) {
  return { id: row.id, name: row.name, description: row.description, enabled: row.enabled, flavor_profile_id: row.flavor_profile_id };
}

export function flavorProfileFields(row: FlavorProfileRow) {
  return { id: row.id, name: row.name, provider_name: row.provider_name, flavor_data: row.flavor_data };
}
