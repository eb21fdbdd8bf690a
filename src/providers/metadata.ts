// Flavor and availability-zone metadata, as drivers describe and check it (docs/octavia-compatibility.md §5.10),
// and the 501 a driver without flavor / zone support answers. Pure.
import { InvalidInput, ProviderUnsupported } from '../errors.ts';
import type { Capability, ProviderDriver } from './driver.ts';

/** One key a driver understands: its capability text and a check returning why a value is bad. */
export interface MetadataKey extends Capability {
  check(value: unknown): string | null;
}

export type MetadataKind = 'flavor_data' | 'availability_zone_data';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const checks = {
  text: (value: unknown) => (typeof value === 'string' && value.length > 0 && value.length <= 255 ? null : 'must be a non-empty string of at most 255 characters'),
  bool: (value: unknown) => (typeof value === 'boolean' ? null : 'must be true or false'),
  uuid: (value: unknown) => (typeof value === 'string' && UUID.test(value) ? null : 'must be a UUID'),
  uuidList: (value: unknown) =>
    Array.isArray(value) && value.every((v) => typeof v === 'string' && UUID.test(v)) ? null : 'must be a list of UUIDs',
  oneOf:
    (values: readonly string[]) =>
    (value: unknown): string | null =>
      typeof value === 'string' && values.includes(value) ? null : `must be one of ${values.join(', ')}`,
};

export function capabilitiesOf(keys: MetadataKey[]): Capability[] {
  return keys.map(({ name, description }) => ({ name, description }));
}

/** Throws 400 naming the first unknown key or bad value of `metadata`. */
export function validateMetadata(provider: string, kind: MetadataKind, keys: MetadataKey[], metadata: Record<string, unknown>): void {
  const prefix = `Invalid ${kind} for provider '${provider}':`;
  for (const [name, value] of Object.entries(metadata)) {
    const key = keys.find((k) => k.name === name);
    if (!key) throw new InvalidInput(`${prefix} '${name}' is not a supported key (supported: ${keys.map((k) => k.name).join(', ')}).`);
    const reason = key.check(value);
    if (reason) throw new InvalidInput(`${prefix} ${name} ${reason}, got ${JSON.stringify(value)}.`);
  }
}

/** `flavor_data` / `availability_zone_data` text → object, or 400 `<text> is not a valid option for <kind>`. */
export function parseMetadata(kind: MetadataKind, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInput(`${text} is not a valid option for ${kind}`);
  }
  return value as Record<string, unknown>;
}

export function flavorCapabilities(driver: ProviderDriver): Capability[] {
  if (!driver.flavorCapabilities) {
    throw new ProviderUnsupported(driver.name, 'action', 'This provider does not support getting the supported flavor metadata.');
  }
  return driver.flavorCapabilities;
}

export function availabilityZoneCapabilities(driver: ProviderDriver): Capability[] {
  if (!driver.availabilityZoneCapabilities) {
    throw new ProviderUnsupported(driver.name, 'action', 'This provider does not support getting the supported availability zone metadata.');
  }
  return driver.availabilityZoneCapabilities;
}

export function validateFlavor(driver: ProviderDriver, metadata: Record<string, unknown>): void {
  if (!driver.validateFlavor) throw new ProviderUnsupported(driver.name, 'action', 'This provider does not support validating flavors.');
  driver.validateFlavor(metadata);
}

export function validateAvailabilityZone(driver: ProviderDriver, metadata: Record<string, unknown>): void {
  if (!driver.validateAvailabilityZone) {
    throw new ProviderUnsupported(driver.name, 'action', 'This provider does not support validating the availability zone metadata.');
  }
  driver.validateAvailabilityZone(metadata);
}
