// Turns the first schema failure Ajv reports into the message WSME gives Octavia's clients.
import { InvalidInput } from '../../errors.ts';

interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

function at(body: unknown, path: string[]): unknown {
  let v: unknown = body;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

function show(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    // Nested deeper than the stack allows (JSON.parse accepts what JSON.stringify cannot write).
    return Array.isArray(value) ? '[...]' : '{...}';
  }
}

function reason(err: AjvError): string {
  const p = err.params;
  switch (err.keyword) {
    case 'enum':
      return `Value should be one of: ${(p.allowedValues as unknown[]).filter((v) => v !== null).map(String).join(', ')}`;
    case 'format':
      if (p.format === 'uuid') return 'Value should be UUID format';
      if (p.format === 'ip-address') return 'Value should be IPv4 or IPv6 format';
      if (p.format === 'cidr') return 'Value should be IPv4 or IPv6 CIDR format';
      return `Value should be ${String(p.format)} format`;
    case 'type':
      return `Wrong type. Expected '${String(p.type)}'`;
    case 'minimum':
      return `Value should be greater or equal to ${String(p.limit)}`;
    case 'maximum':
      return `Value should be lower or equal to ${String(p.limit)}`;
    case 'maxLength':
      return `Value should have a maximum character requirement of ${String(p.limit)}`;
    case 'minLength':
      return `Value should have a minimum character requirement of ${String(p.limit)}`;
    case 'pattern':
      return 'Value does not match the required pattern';
    default:
      return err.message ?? 'Invalid value';
  }
}

export function octaviaValidationError(errors: AjvError[], body: unknown): InvalidInput {
  const err = errors[0];
  const path = err.instancePath.split('/').filter(Boolean);
  if (err.keyword === 'additionalProperties') {
    const owner = path.filter((p) => !/^\d+$/.test(p)).at(-1) ?? 'body';
    return new InvalidInput(`Unknown attribute for argument ${owner}: ${String(err.params.additionalProperty)}`);
  }
  if (err.keyword === 'required') {
    const field = String(err.params.missingProperty);
    return new InvalidInput(`Invalid input for field/attribute ${field}. Value: 'None'. Mandatory field missing.`);
  }
  const field = path.filter((p) => !/^\d+$/.test(p)).at(-1) ?? 'body';
  return new InvalidInput(`Invalid input for field/attribute ${field}. Value: '${show(at(body, path))}'. ${reason(err)}`);
}
