// Octavia reads request bodies through WSME, which converts an integer attribute with Python's
// int(): the JSON string "200" is accepted as 200. python-octaviaclient depends on that: it
// sends `listener create/set --connection-limit` as a string, and the `key=value` pairs of
// `pool create/set --session-persistence` (persistence_timeout) as strings too. So before
// schema validation, a field the route's body schema types as integer that holds a decimal
// integer string becomes that number. Anything else is left alone for the schema to judge,
// so "abc" or "1.5" still fail with the usual Octavia-style message.

const INTEGER_STRING = /^\s*[-+]?\d+\s*$/;

type Schema = { type?: unknown; properties?: Record<string, Schema>; items?: Schema };

function typed(schema: Schema, type: string): boolean {
  return schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type));
}

/** Converts integer strings in `value` where `schema` says integer; mutates objects and arrays in place. */
export function coerceIntegerStrings(schema: unknown, value: unknown): unknown {
  if (!schema || typeof schema !== 'object') return value;
  const s = schema as Schema;
  if (typeof value === 'string' && typed(s, 'integer') && INTEGER_STRING.test(value)) {
    const n = Number(value.trim());
    return Number.isSafeInteger(n) ? n : value;
  }
  if (Array.isArray(value)) {
    if (s.items) for (let i = 0; i < value.length; i++) value[i] = coerceIntegerStrings(s.items, value[i]);
    return value;
  }
  if (value && typeof value === 'object' && s.properties) {
    const obj = value as Record<string, unknown>;
    for (const [key, sub] of Object.entries(s.properties)) {
      if (Object.prototype.hasOwnProperty.call(obj, key)) obj[key] = coerceIntegerStrings(sub, obj[key]);
    }
  }
  return value;
}
