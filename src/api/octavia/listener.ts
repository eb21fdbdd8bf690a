// Listener ⇄ Octavia JSON (docs/octavia-compatibility.md §5.3).
import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { ListenerTable } from '../../db/schema.ts';
import { ALPN_PROTOCOLS, CLIENT_AUTHENTICATION, LIMITS, LISTENER_PROTOCOLS, TLS_VERSIONS } from '../../model/enums.ts';
import { baseFields, idRefs, text } from './common.ts';
import { l7PolicyIdsByListener } from './l7policy.ts';
import { Nullable, Port, Strict, StringEnum, Tags, Type, Uuid, Wrapped, type Static, ProjectFields, DescribedFields } from './schema-types.ts';

export type ListenerRow = Selectable<ListenerTable>;

const Ref = Type.String({ maxLength: 255 });
const TimeoutMs = Type.Integer({ minimum: LIMITS.timeoutMs.min, maximum: LIMITS.timeoutMs.max });

/** Fields a PUT may change; POST takes them too. */
const MutableFields = {
  ...DescribedFields,
  connection_limit: Type.Optional(Nullable(Type.Integer({ minimum: -1, maximum: 2_147_483_647 }))),
  default_pool_id: Type.Optional(Nullable(Uuid)),
  default_tls_container_ref: Type.Optional(Nullable(Ref)),
  sni_container_refs: Type.Optional(Nullable(Type.Array(Ref))),
  client_ca_tls_container_ref: Type.Optional(Nullable(Ref)),
  client_authentication: Type.Optional(Nullable(StringEnum(CLIENT_AUTHENTICATION))),
  client_crl_container_ref: Type.Optional(Nullable(Ref)),
  insert_headers: Type.Optional(Nullable(Type.Record(Type.String(), Type.String({ maxLength: 255 })))),
  timeout_client_data: Type.Optional(Nullable(TimeoutMs)),
  timeout_member_connect: Type.Optional(Nullable(TimeoutMs)),
  timeout_member_data: Type.Optional(Nullable(TimeoutMs)),
  timeout_tcp_inspect: Type.Optional(Nullable(TimeoutMs)),
  allowed_cidrs: Type.Optional(Nullable(Type.Array(Type.String({ format: 'cidr' })))),
  tls_ciphers: Type.Optional(Nullable(Type.String({ maxLength: LIMITS.tlsCiphers, pattern: '^[A-Za-z0-9\\-+!:@=_.]*$' }))),
  tls_versions: Type.Optional(Nullable(Type.Array(StringEnum(TLS_VERSIONS)))),
  alpn_protocols: Type.Optional(Nullable(Type.Array(StringEnum(ALPN_PROTOCOLS)))),
  hsts_max_age: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 2_147_483_647 }))),
  hsts_include_subdomains: Type.Optional(Nullable(Type.Boolean())),
  hsts_preload: Type.Optional(Nullable(Type.Boolean())),
  tags: Type.Optional(Tags),
};

export const ListenerCreate = Wrapped(
  'listener',
  Strict({
    ...MutableFields,
    ...ProjectFields,
    loadbalancer_id: Uuid,
    protocol: StringEnum(LISTENER_PROTOCOLS),
    protocol_port: Port,
  }),
);

export const ListenerUpdate = Wrapped('listener', Strict(MutableFields));

export type ListenerInput = Partial<Static<typeof ListenerCreate>['listener']>;

export function listenerFields(row: ListenerRow) {
  return {
    ...baseFields(row),
    name: text(row.name),
    description: text(row.description),
    protocol: row.protocol,
    protocol_port: row.protocol_port,
    connection_limit: row.connection_limit,
    default_pool_id: row.default_pool_id,
    default_tls_container_ref: row.default_tls_container_ref,
    sni_container_refs: row.sni_container_refs ?? [],
    client_ca_tls_container_ref: row.client_ca_tls_container_ref,
    client_authentication: row.client_authentication,
    client_crl_container_ref: row.client_crl_container_ref,
    insert_headers: row.insert_headers ?? {},
    timeout_client_data: row.timeout_client_data,
    timeout_member_connect: row.timeout_member_connect,
    timeout_member_data: row.timeout_member_data,
    timeout_tcp_inspect: row.timeout_tcp_inspect,
    // Octavia renders an empty list as null here, unlike everywhere else.
    allowed_cidrs: row.allowed_cidrs?.length ? row.allowed_cidrs : null,
    tls_ciphers: row.tls_ciphers,
    tls_versions: row.tls_versions,
    alpn_protocols: row.alpn_protocols,
    hsts_max_age: row.hsts_max_age,
    hsts_include_subdomains: row.hsts_include_subdomains,
    hsts_preload: row.hsts_preload,
  };
}

export async function serializeListeners(db: Db, rows: ListenerRow[]) {
  const policies = await l7PolicyIdsByListener(db, rows.map((r) => r.id));
  return rows.map((row) => ({
    ...listenerFields(row),
    loadbalancers: [{ id: row.load_balancer_id }],
    l7policies: idRefs(policies.get(row.id)),
  }));
}
