// Building blocks for the request schemas. They use plain JSON-schema keywords Ajv reports
// cleanly (enum, nullable, format) so every failure maps to one Octavia-style message.
import { Type, type Static, type TSchema } from 'typebox';
import { LIMITS } from '../../model/enums.ts';

export { Type, type Static, type TSchema };

export function Nullable<T extends TSchema>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });
}

export function StringEnum<const V extends readonly string[]>(values: V, options: { nullable?: boolean } = {}) {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });
}

export const Uuid = Type.String({ format: 'uuid' });
export const IpAddress = Type.String({ format: 'ip-address' });
export const Name = Type.String({ maxLength: LIMITS.name });
export const ProjectId = Type.String({ maxLength: LIMITS.projectId });
export const Port = Type.Integer({ minimum: LIMITS.port.min, maximum: LIMITS.port.max });
export const Tags = Type.Array(Type.String({ maxLength: LIMITS.name }));
/** Octavia coerces `admin_state_up: null` to false, so null must pass validation. */
export const AdminStateUp = Nullable(Type.Boolean());

/** `{ <wrapper>: <object> }` with nothing else at the top level. */
export function Wrapped<const K extends string, T extends TSchema>(key: K, inner: T) {
  return Type.Object({ [key]: inner } as { [P in K]: T }, { additionalProperties: false });
}

export function Strict<T extends Record<string, TSchema>>(properties: T) {
  return Type.Object(properties, { additionalProperties: false });
}
