// /v2/lbaas/providers and their flavor / availability-zone capabilities (docs/octavia-compatibility.md §5.10).
import type { FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { Type } from '../octavia/schema-types.ts';
import { authorize } from '../../auth/policy.ts';
import { InvalidListQuery } from '../../errors.ts';
import type { Capability } from '../../providers/driver.ts';
import { availabilityZoneCapabilities, flavorCapabilities } from '../../providers/metadata.ts';
import { selectFields, type RawQuery } from '../../model/list-query.ts';
import { requestedFields } from '../global-resource.ts';
import { enabledDriver } from '../lb-placement.ts';
import { capabilityFields, providerFields } from '../octavia/provider.ts';

const ProviderParams = Type.Object({ provider: Type.String() });

/** `name=` / `description=` equality filters and `fields`; anything else is a bad query. */
function filterCapabilities(request: FastifyRequest, capabilities: Capability[]) {
  const query = request.query as RawQuery;
  const filters: [keyof Capability, string][] = [];
  for (const [key, raw] of Object.entries(query)) {
    if (raw === undefined || key === 'fields') continue;
    if ((key !== 'name' && key !== 'description') || Array.isArray(raw)) throw new InvalidListQuery();
    filters.push([key, raw]);
  }
  return capabilities
    .filter((c) => filters.every(([k, v]) => c[k] === v))
    .map((c) => selectFields(capabilityFields(c), requestedFields(request)));
}

export async function providerRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const base = '/v2/lbaas/providers';

  app.get(base, { config: { policy: 'provider:get_all' } }, async (request) => {
    authorize(request, request.auth.projectId);
    const providers = deps.config.enabledProviders.flatMap((name) => {
      const driver = deps.providers.get(name);
      return driver ? [selectFields(providerFields(name, driver, deps.providers.aliasOf(name)), requestedFields(request))] : [];
    });
    return { providers };
  });

  app.get(
    `${base}/:provider/flavor_capabilities`,
    { config: { policy: 'provider-flavor:get_all' }, schema: { params: ProviderParams } },
    async (request) => {
      authorize(request, request.auth.projectId);
      const driver = enabledDriver(deps, request.params.provider);
      return { flavor_capabilities: filterCapabilities(request, flavorCapabilities(driver)) };
    },
  );

  app.get(
    `${base}/:provider/availability_zone_capabilities`,
    { config: { policy: 'provider-availability-zone:get_all' }, schema: { params: ProviderParams } },
    async (request) => {
      authorize(request, request.auth.projectId);
      const driver = enabledDriver(deps, request.params.provider);
      return { availability_zone_capabilities: filterCapabilities(request, availabilityZoneCapabilities(driver)) };
    },
  );
}
