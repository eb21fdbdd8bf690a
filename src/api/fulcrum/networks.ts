// /v2/fulcrum/networks and /v2/fulcrum/subnets: the networks VIPs are allocated from (there
// is no Neutron here). Reads for any project's readers, writes for administrators (policy
// rules fulcrum:network:* and fulcrum:subnet:*).
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import type { Db } from '../../db/database.ts';
import { Conflict, NotFound } from '../../errors.ts';
import { createSubnet } from '../../network/subnets.ts';
import { authorize } from '../../auth/policy.ts';
import { isUuid } from '../../model/list-query.ts';
import { octaviaTime } from '../octavia/common.ts';
import { IpAddress, Name, Strict, Type, Uuid, Wrapped } from '../octavia/schema-types.ts';

const NetworkCreate = Wrapped('network', Strict({ name: Type.Optional(Name), project_id: Type.Optional(Type.String({ maxLength: 36 })) }));
const SubnetCreate = Wrapped(
  'subnet',
  Strict({
    network_id: Uuid,
    name: Type.Optional(Name),
    cidr: Type.String({ format: 'cidr' }),
    gateway_ip: Type.Optional(IpAddress),
  }),
);

/** Networks are shared, not project-owned: the caller's own project is the policy target. */
function authorizeCaller(request: FastifyRequest): void {
  authorize(request, request.auth.projectId);
}

async function networkView(db: Db, ids?: string[]) {
  let q = db.selectFrom('network').selectAll().orderBy('created_at').orderBy('id');
  if (ids) q = q.where('id', 'in', ids.length ? ids : ['00000000-0000-0000-0000-000000000000']);
  const networks = await q.execute();
  const subnets = await db.selectFrom('subnet').select(['id', 'network_id']).orderBy('created_at').execute();
  return networks.map((n) => ({
    id: n.id,
    name: n.name,
    project_id: n.project_id,
    subnets: subnets.filter((s) => s.network_id === n.id).map((s) => s.id),
    created_at: octaviaTime(n.created_at),
  }));
}

function subnetView(s: { id: string; network_id: string; name: string; cidr: string; ip_version: number; gateway_ip: string | null; created_at: Date }) {
  return { id: s.id, network_id: s.network_id, name: s.name, cidr: s.cidr, ip_version: s.ip_version, gateway_ip: s.gateway_ip, created_at: octaviaTime(s.created_at) };
}

export async function networkRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  const find = async <T>(table: 'network' | 'subnet', name: string, id: string): Promise<T> => {
    const row = isUuid(id) ? await db.selectFrom(table).selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst() : undefined;
    if (!row) throw new NotFound(name, id);
    return row as T;
  };

  app.get('/v2/fulcrum/networks', { config: { policy: 'fulcrum:network:get_all' } }, async (request) => {
    authorizeCaller(request);
    return { networks: await networkView(db) };
  });
  app.get('/v2/fulcrum/networks/:id', { config: { policy: 'fulcrum:network:get_one' } }, async (request) => {
    authorizeCaller(request);
    const row = await find<{ id: string }>('network', 'Network', (request.params as { id: string }).id);
    return { network: (await networkView(db, [row.id]))[0] };
  });
  app.post('/v2/fulcrum/networks', { config: { policy: 'fulcrum:network:post' }, schema: { body: NetworkCreate } }, async (request, reply) => {
    authorizeCaller(request);
    const body = request.body.network;
    const id = randomUUID();
    await db.insertInto('network').values({ id, name: body.name ?? '', project_id: body.project_id ?? null }).execute();
    return reply.status(201).send({ network: (await networkView(db, [id]))[0] });
  });
  app.delete('/v2/fulcrum/networks/:id', { config: { policy: 'fulcrum:network:delete' } }, async (request, reply) => {
    authorizeCaller(request);
    const row = await find<{ id: string }>('network', 'Network', (request.params as { id: string }).id);
    const subnet = await db.selectFrom('subnet').select('id').where('network_id', '=', row.id).executeTakeFirst();
    if (subnet) throw new Conflict(`Network ${row.id} is in use and cannot be modified: it has subnet ${subnet.id}.`);
    await db.deleteFrom('network').where('id', '=', row.id).execute();
    return reply.status(204).send();
  });

  app.get('/v2/fulcrum/subnets', { config: { policy: 'fulcrum:subnet:get_all' } }, async (request) => {
    authorizeCaller(request);
    const networkId = (request.query as Record<string, string | undefined>).network_id;
    let q = db.selectFrom('subnet').selectAll().orderBy('created_at').orderBy('id');
    if (networkId !== undefined) q = q.where('network_id', '=', isUuid(networkId) ? networkId.toLowerCase() : '00000000-0000-0000-0000-000000000000');
    return { subnets: (await q.execute()).map(subnetView) };
  });
  app.get('/v2/fulcrum/subnets/:id', { config: { policy: 'fulcrum:subnet:get_one' } }, async (request) => {
    authorizeCaller(request);
    return { subnet: subnetView(await find('subnet', 'Subnet', (request.params as { id: string }).id)) };
  });
  app.post('/v2/fulcrum/subnets', { config: { policy: 'fulcrum:subnet:post' }, schema: { body: SubnetCreate } }, async (request, reply) => {
    authorizeCaller(request);
    const body = request.body.subnet;
    const row = await createSubnet(db, { networkId: body.network_id, name: body.name ?? '', cidr: body.cidr, gatewayIp: body.gateway_ip ?? null });
    return reply.status(201).send({ subnet: subnetView(row) });
  });
  app.delete('/v2/fulcrum/subnets/:id', { config: { policy: 'fulcrum:subnet:delete' } }, async (request, reply) => {
    authorizeCaller(request);
    const row = await find<{ id: string }>('subnet', 'Subnet', (request.params as { id: string }).id);
    const used = await db.selectFrom('ip_allocation').select('address').where('subnet_id', '=', row.id).executeTakeFirst();
    if (used) throw new Conflict(`Subnet ${row.id} is in use and cannot be modified: ${used.address} is allocated.`);
    await db.deleteFrom('subnet').where('id', '=', row.id).execute();
    return reply.status(204).send();
  });
}
