// Providers and their capabilities ⇄ Octavia JSON (docs/octavia-compatibility.md §5.10).
import type { Capability, ProviderDriver } from '../../providers/driver.ts';

export function providerFields(name: string, driver: ProviderDriver, aliasOf: string | undefined) {
  return { name, description: aliasOf ? `Deprecated alias of the ${aliasOf} driver.` : driver.description };
}

export function capabilityFields(c: Capability) {
  return { name: c.name, description: c.description };
}
