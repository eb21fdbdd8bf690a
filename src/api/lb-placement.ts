// Which provider, topology and zone a new load balancer gets (docs/octavia-compatibility.md §5.1, "Provider /
// flavor / AZ resolution"), decided inside the create's transaction. The flavor and zone rows
// are read FOR SHARE, so a concurrent delete of either waits for this create and then sees the
// load balancer that uses it.
import { FulcrumError, InvalidInput, ProviderNotEnabled } from '../errors.ts';
import type { ProviderDriver } from '../providers/driver.ts';
import { parseMetadata, validateAvailabilityZone, validateFlavor } from '../providers/metadata.ts';
import type { ApiDeps } from './deps.ts';
import type { Trx } from './write-path.ts';

export interface PlacementRequest {
  provider?: string | null;
  flavor_id?: string | null;
  availability_zone?: string | null;
}

export interface Placement {
  provider: string;
  driver: ProviderDriver;
  topology: string;
  flavorId: string | null;
  availabilityZone: string | null;
  /** The zone's `valid_vip_networks`, which restrict the VIP's network; null when unrestricted. */
  validVipNetworks: string[] | null;
}

/** An enabled provider's driver: 400 when not enabled, 501 when nothing implements it. */
export function enabledDriver(deps: ApiDeps, name: string): ProviderDriver {
  if (!deps.config.enabledProviders.includes(name)) throw new ProviderNotEnabled(name);
  const driver = deps.providers.get(name);
  if (!driver) throw new FulcrumError('LB_ERR_PROVIDER_NOT_FOUND', 501, `Provider '${name}' was not found.`);
  return driver;
}

/** `octavia` and `amphora` are one provider. */
function sameProvider(deps: ApiDeps, a: string, b: string): boolean {
  return (deps.providers.aliasOf(a) ?? a) === (deps.providers.aliasOf(b) ?? b);
}

async function flavorMetadata(trx: Trx, deps: ApiDeps, flavorId: string, requested: string | null | undefined) {
  const flavor = await trx
    .selectFrom('flavor')
    .innerJoin('flavor_profile', 'flavor_profile.id', 'flavor.flavor_profile_id')
    .select(['flavor.id', 'flavor.enabled', 'flavor_profile.provider_name', 'flavor_profile.flavor_data'])
    .where('flavor.id', '=', flavorId)
    .forShare('flavor')
    .executeTakeFirst();
  if (!flavor) throw new InvalidInput('Invalid flavor_id.');
  if (!flavor.enabled) throw new InvalidInput(`The selected flavor is not allowed in this deployment: ${flavorId}`);
  if (requested && !sameProvider(deps, requested, flavor.provider_name)) {
    throw new InvalidInput(`Flavor '${flavorId}' is not compatible with provider '${requested}'`);
  }
  return { provider: flavor.provider_name, metadata: parseMetadata('flavor_data', flavor.flavor_data) };
}

async function zoneMetadata(trx: Trx, name: string) {
  const zone = await trx
    .selectFrom('availability_zone')
    .innerJoin('availability_zone_profile', 'availability_zone_profile.id', 'availability_zone.availability_zone_profile_id')
    .select(['availability_zone.enabled', 'availability_zone_profile.availability_zone_data'])
    .where('availability_zone.name', '=', name)
    .forShare('availability_zone')
    .executeTakeFirst();
  if (!zone) throw new InvalidInput('Invalid availability zone.');
  if (!zone.enabled) throw new InvalidInput(`The selected availability_zone is not allowed in this deployment: ${name}`);
  return parseMetadata('availability_zone_data', zone.availability_zone_data);
}

export async function resolvePlacement(trx: Trx, deps: ApiDeps, request: PlacementRequest): Promise<Placement> {
  const flavor = request.flavor_id ? await flavorMetadata(trx, deps, request.flavor_id, request.provider) : null;
  // A flavor's profile decides the provider; the requested name is kept (an alias shows as given).
  const provider = request.provider ?? flavor?.provider ?? deps.config.defaultProvider;
  const driver = enabledDriver(deps, provider);
  if (flavor) validateFlavor(driver, flavor.metadata);
  const flavorTopology = flavor?.metadata.loadbalancer_topology;
  const topology = typeof flavorTopology === 'string' ? flavorTopology : deps.config.defaultTopology;
  driver.checkSupport({ topology });

  let validVipNetworks: string[] | null = null;
  if (request.availability_zone) {
    const metadata = await zoneMetadata(trx, request.availability_zone);
    validateAvailabilityZone(driver, metadata);
    if (Array.isArray(metadata.valid_vip_networks)) validVipNetworks = metadata.valid_vip_networks.map(String);
  }
  return {
    provider,
    driver,
    topology,
    flavorId: request.flavor_id ?? null,
    availabilityZone: request.availability_zone ?? null,
    validVipNetworks,
  };
}

/** The zone's allow-list, checked once the VIP's network is known. */
export function checkVipNetwork(placement: Placement, networkId: string | null): void {
  if (placement.validVipNetworks === null) return;
  if (networkId === null || !placement.validVipNetworks.includes(networkId)) {
    throw new InvalidInput('Supplied VIP network_id is not allowed by the configuration of this deployment.');
  }
}
