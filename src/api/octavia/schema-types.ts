// Building blocks for the request schemas. They use plain JSON-schema keywords Ajv reports
// cleanly (enum, nullable, format) so every failure maps to one Octavia-style message.
import { Type, type Static, type TSchema } from 'typebox';
import { LIMITS } from '../../model/enums.ts';

export { Type, type Static, type TSchema };

export function Nullable<T extends TSchema>(schema: T) {
  // Ajv checks `enum` after `nullable`, so null has to be one of the values too.
  const values = (schema as { enum?: unknown[] }).enum;
  return Type.Unsafe<Static<T> | null>({ ...schema, nullable: true, ...(values ? { enum: [...values, null] } : {}) });
}

export function StringEnum<const V extends readonly string[]>(values: V, options: { nullable?: boolean } = {}) {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });
}

export const Uuid = Type.String({ format: 'uuid' });
export const IpAddress = Type.String({ format: 'ip-address' });
// PostgreSQL text and jsonb cannot hold NUL; refusing it here keeps it a 400, not a 500.
const NO_NUL = '^[^\\u0000]*$';

export const Name = Type.String({ maxLength: LIMITS.name, pattern: NO_NUL });
export const ProjectId = Type.String({ maxLength: LIMITS.projectId });
export const Port = Type.Integer({ minimum: LIMITS.port.min, maximum: LIMITS.port.max });
export const Tags = Type.Array(Type.String({ maxLength: LIMITS.name, pattern: NO_NUL }));
/** Octavia coerces `admin_state_up: null` to false, so null must pass validation. */
export const AdminStateUp = Nullable(Type.Boolean());

/** `{ <wrapper>: <object> }` with nothing else at the top level. */
export function Wrapped<const K extends string, T extends TSchema>(key: K, inner: T) {
  return Type.Object({ [key]: inner } as { [P in K]: T }, { additionalProperties: false });
}

export function Strict<T extends Record<string, TSchema>>(properties: T) {
  return Type.Object(properties, { additionalProperties: false });
}

/** Accepted on every create; children ignore it and inherit the load balancer's project. */
export const ProjectFields = {
  project_id: Type.Optional(ProjectId),
  tenant_id: Type.Optional(ProjectId),
};

/** name, description and admin_state_up, as most objects have them (null name → ""). */
export const DescribedFields = {
  name: Type.Optional(Nullable(Name)),
  description: Type.Optional(Nullable(Name)),
  admin_state_up: Type.Optional(AdminStateUp),
};

/** `/:id` in the path of every resource that is addressed by its id. */
export const IdParams = Type.Object({ id: Type.String() });
