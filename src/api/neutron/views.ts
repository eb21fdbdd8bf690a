// Neutron's v2.0 representation of Fulcrum's own networks and subnets, and Neutron's list
// filtering (`?name=x&id=a&id=b`: AND across attributes, OR within one). Pure functions.
import { addressToBigInt, bigIntToAddress, cidrFamily, normaliseCidr } from '../../model/cidr.ts';
import { octaviaTime } from '../octavia/common.ts';
import { InvalidListQuery } from '../../errors.ts';
import type { RawQuery } from '../../model/list-query.ts';

export interface NetworkRow {
  id: string;
  name: string;
  project_id: string | null;
  created_at: Date | string;
}

export interface SubnetRow {
  id: string;
  network_id: string;
  name: string;
  cidr: string;
  ip_version: number;
  gateway_ip: string | null;
  created_at: Date | string;
}

export type NeutronObject = Record<string, unknown>;

/** Networks registered without a project (the deployment's VIP networks) are shared by all projects. */
export function networkView(row: NetworkRow, subnetIds: string[]): NeutronObject {
  const created = octaviaTime(row.created_at);
  return {
    id: row.id,
    name: row.name,
    tenant_id: row.project_id ?? '',
    project_id: row.project_id ?? '',
    subnets: subnetIds,
    shared: row.project_id === null,
    status: 'ACTIVE',
    admin_state_up: true,
    'router:external': false,
    mtu: 1500,
    description: '',
    tags: [],
    availability_zones: [],
    port_security_enabled: false,
    created_at: created,
    updated_at: created,
    revision_number: 0,
  };
}

/** The addresses Fulcrum may hand out: the host range without the network's gateway. */
export function allocationPools(cidr: string, gatewayIp: string | null): { start: string; end: string }[] {
  const family = cidrFamily(cidr);
  if (family === 0) return [];
  const [net, p] = normaliseCidr(cidr).split('/');
  const size = 1n << BigInt((family === 4 ? 32 : 128) - Number(p));
  const base = addressToBigInt(net);
  // As firstFreeAddress: skip the network address and, for IPv4, the broadcast address.
  let first = size > 1n ? base + 1n : base;
  let last = family === 4 && size > 2n ? base + size - 2n : base + size - 1n;
  const ranges: [bigint, bigint][] = [];
  const gateway = gatewayIp && cidrFamily(`${gatewayIp}/${family === 4 ? 32 : 128}`) === family ? addressToBigInt(gatewayIp) : null;
  if (gateway !== null && gateway >= first && gateway <= last) {
    if (gateway > first) ranges.push([first, gateway - 1n]);
    if (gateway < last) ranges.push([gateway + 1n, last]);
  } else if (first <= last) {
    ranges.push([first, last]);
  }
  return ranges.map(([s, e]) => ({ start: bigIntToAddress(s, family), end: bigIntToAddress(e, family) }));
}

export function subnetView(row: SubnetRow, network: NetworkRow): NeutronObject {
  const created = octaviaTime(row.created_at);
  return {
    id: row.id,
    name: row.name,
    tenant_id: network.project_id ?? '',
    project_id: network.project_id ?? '',
    network_id: row.network_id,
    ip_version: row.ip_version,
    cidr: row.cidr,
    gateway_ip: row.gateway_ip,
    allocation_pools: allocationPools(row.cidr, row.gateway_ip),
    enable_dhcp: false,
    dns_nameservers: [],
    host_routes: [],
    ipv6_ra_mode: null,
    ipv6_address_mode: null,
    subnetpool_id: null,
    service_types: [],
    description: '',
    tags: [],
    created_at: created,
    updated_at: created,
    revision_number: 0,
  };
}

/** Query keys that are not attribute filters. */
const CONTROL_KEYS = new Set(['fields', 'limit', 'marker', 'page_reverse', 'sort_key', 'sort_dir']);

function values(raw: string | string[] | undefined): string[] {
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
}

function matches(actual: unknown, wanted: string): boolean {
  if (typeof actual === 'boolean') return String(actual) === wanted.toLowerCase();
  if (actual === null || actual === undefined) return wanted === '';
  return String(actual) === wanted;
}

/**
 * Neutron list semantics over already-visible objects: every filter attribute must be one of
 * the object's scalar attributes (else 400, as Neutron does with filter validation on), and
 * `fields` keeps only the named attributes.
 */
export function filterAndProject(objects: NeutronObject[], query: RawQuery, filterable: readonly string[]): NeutronObject[] {
  let out = objects;
  for (const [key, raw] of Object.entries(query)) {
    if (CONTROL_KEYS.has(key)) continue;
    if (!filterable.includes(key)) throw new InvalidListQuery(`[${key}] is invalid attribute for filtering`);
    const wanted = values(raw);
    out = out.filter((o) => wanted.some((w) => matches(o[key], w)));
  }
  const fields = values(query.fields).flatMap((f) => f.split(',')).filter((f) => f.length > 0);
  if (fields.length === 0) return out;
  return out.map((o) => Object.fromEntries(fields.filter((f) => Object.hasOwn(o, f)).map((f) => [f, o[f]])));
}

export const NETWORK_FILTERS = ['id', 'name', 'tenant_id', 'project_id', 'shared', 'status', 'admin_state_up', 'router:external', 'mtu', 'description'] as const;
export const SUBNET_FILTERS = ['id', 'name', 'tenant_id', 'project_id', 'network_id', 'ip_version', 'cidr', 'gateway_ip', 'enable_dhcp', 'description'] as const;
