// A read-only Neutron v2.0 subset under /networking/v2.0 (the `network` endpoint in the
// Keystone catalog), serving Fulcrum's own networks and subnets, so that OpenStack clients
// can resolve `--vip-subnet-id <name>` / `--vip-network-id` / member `--subnet-id`.
// Visibility follows Neutron: shared networks (no project) and the caller's own project's,
// everything for callers allowed the `-global` list rule; a network the caller may not see
// is a 404, as in Neutron.
import type { FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { NotFound } from '../../errors.ts';
import { authorize, isAllowed, mayListAllProjects, policyAction } from '../../auth/policy.ts';
import { isUuid, type RawQuery } from '../../model/list-query.ts';
import { NETWORK_FILTERS, SUBNET_FILTERS, filterAndProject, networkView, subnetView, type NetworkRow } from './views.ts';

export const NEUTRON_PREFIX = '/networking/v2.0';

export async function neutronRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;

  /** The networks `request`'s caller may see, by id. */
  async function visibleNetworks(request: FastifyRequest): Promise<Map<string, NetworkRow>> {
    const all = mayListAllProjects(request);
    let q = db.selectFrom('network').selectAll().orderBy('created_at').orderBy('id');
    if (!all) {
      const own = request.auth.projectId;
      q = q.where((eb) => (own === null ? eb('project_id', 'is', null) : eb.or([eb('project_id', 'is', null), eb('project_id', '=', own)])));
    }
    return new Map((await q.execute()).map((n) => [n.id, n]));
  }

  /** A network the caller may read (the route's rule on the network's project), else 404. */
  async function readableNetwork(request: FastifyRequest, id: string, notFound: () => NotFound): Promise<NetworkRow> {
    const row = isUuid(id) ? await db.selectFrom('network').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst() : undefined;
    if (!row) throw notFound();
    const own = request.auth.projectId;
    if (row.project_id === null || row.project_id === own) authorize(request, own);
    else if (!isAllowed(request, row.project_id, policyAction(request)!)) throw notFound();
    return row;
  }

  const subnetsOf = async (networkIds: string[]) =>
    networkIds.length === 0 ? [] : db.selectFrom('subnet').selectAll().where('network_id', 'in', networkIds).orderBy('created_at').orderBy('id').execute();

  app.get(`${NEUTRON_PREFIX}/networks`, { config: { policy: 'fulcrum:network:get_all' } }, async (request) => {
    const networks = await visibleNetworks(request);
    const subnets = await subnetsOf([...networks.keys()]);
    const views = [...networks.values()].map((n) => networkView(n, subnets.filter((s) => s.network_id === n.id).map((s) => s.id)));
    return { networks: filterAndProject(views, request.query as RawQuery, NETWORK_FILTERS) };
  });

  app.get(`${NEUTRON_PREFIX}/networks/:id`, { config: { policy: 'fulcrum:network:get_one' } }, async (request) => {
    const { id } = request.params as { id: string };
    const network = await readableNetwork(request, id, () => new NotFound('Network', id));
    const subnets = await subnetsOf([network.id]);
    return { network: networkView(network, subnets.map((s) => s.id)) };
  });

  app.get(`${NEUTRON_PREFIX}/subnets`, { config: { policy: 'fulcrum:subnet:get_all' } }, async (request) => {
    const networks = await visibleNetworks(request);
    const subnets = await subnetsOf([...networks.keys()]);
    const views = subnets.map((s) => subnetView(s, networks.get(s.network_id)!));
    return { subnets: filterAndProject(views, request.query as RawQuery, SUBNET_FILTERS) };
  });

  app.get(`${NEUTRON_PREFIX}/subnets/:id`, { config: { policy: 'fulcrum:subnet:get_one' } }, async (request) => {
    const { id } = request.params as { id: string };
    const subnet = isUuid(id) ? await db.selectFrom('subnet').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst() : undefined;
    if (!subnet) throw new NotFound('Subnet', id);
    const network = await readableNetwork(request, subnet.network_id, () => new NotFound('Subnet', id));
    return { subnet: subnetView(subnet, network) };
  });
}
