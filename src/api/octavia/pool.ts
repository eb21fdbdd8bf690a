// Pool ⇄ Octavia JSON (docs/octavia-compatibility.md §5.4).
import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { PoolTable, SessionPersistence } from '../../db/schema.ts';
import { idsByParents } from '../../db/relations.ts';
import { ALPN_PROTOCOLS, LB_ALGORITHMS, LIMITS, POOL_PROTOCOLS, SESSION_PERSISTENCE_TYPES, TLS_VERSIONS } from '../../model/enums.ts';
import { baseFields, idRefs, text } from './common.ts';
import { redirectingListenersByPool } from './l7policy.ts';
import { Nullable, Strict, StringEnum, Tags, Type, Uuid, Wrapped, ProjectFields, DescribedFields } from './schema-types.ts';

export type PoolRow = Selectable<PoolTable>;

const SessionPersistenceBody = Strict({
  type: Type.Optional(StringEnum(SESSION_PERSISTENCE_TYPES)),
  cookie_name: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
  persistence_timeout: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
  persistence_granularity: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
});

const TlsFields = {
  tls_enabled: Type.Optional(Nullable(Type.Boolean())),
  tls_container_ref: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
  ca_tls_container_ref: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
  crl_container_ref: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
  tls_ciphers: Type.Optional(Nullable(Type.String({ maxLength: LIMITS.tlsCiphers, pattern: '^[A-Za-z0-9\\-+!:@=_.]*$' }))),
  tls_versions: Type.Optional(Nullable(Type.Array(StringEnum(TLS_VERSIONS)))),
  alpn_protocols: Type.Optional(Nullable(Type.Array(StringEnum(ALPN_PROTOCOLS)))),
};

export const PoolCreate = Wrapped(
  'pool',
  Strict({
    ...DescribedFields,
    ...ProjectFields,
    loadbalancer_id: Type.Optional(Uuid),
    listener_id: Type.Optional(Uuid),
    protocol: StringEnum(POOL_PROTOCOLS),
    lb_algorithm: StringEnum(LB_ALGORITHMS),
    session_persistence: Type.Optional(Nullable(SessionPersistenceBody)),
    tags: Type.Optional(Tags),
    ...TlsFields,
  }),
);

export const PoolUpdate = Wrapped(
  'pool',
  Strict({
    ...DescribedFields,
    lb_algorithm: Type.Optional(StringEnum(LB_ALGORITHMS)),
    session_persistence: Type.Optional(Nullable(SessionPersistenceBody)),
    tags: Type.Optional(Tags),
    ...TlsFields,
  }),
);

function persistence(sp: SessionPersistence | null) {
  if (!sp) return null;
  return {
    type: sp.type,
    cookie_name: sp.cookie_name ?? null,
    persistence_timeout: sp.persistence_timeout ?? null,
    persistence_granularity: sp.persistence_granularity ?? null,
  };
}

export function poolFields(row: PoolRow) {
  return {
    ...baseFields(row),
    name: text(row.name),
    description: text(row.description),
    protocol: row.protocol,
    lb_algorithm: row.lb_algorithm,
    session_persistence: persistence(row.session_persistence),
    tls_enabled: row.tls_enabled,
    tls_container_ref: row.tls_container_ref,
    ca_tls_container_ref: row.ca_tls_container_ref,
    crl_container_ref: row.crl_container_ref,
    tls_ciphers: row.tls_ciphers,
    tls_versions: row.tls_versions,
    alpn_protocols: row.alpn_protocols,
  };
}

export async function serializePools(db: Db, rows: PoolRow[]) {
  const ids = rows.map((r) => r.id);
  const [{ listeners, members, monitors }, redirecting] = await Promise.all([
    idsByParents(
      db,
      {
        listeners: { table: 'listener', column: 'default_pool_id' },
        members: { table: 'member', column: 'pool_id' },
        monitors: { table: 'health_monitor', column: 'pool_id' },
      },
      ids,
    ),
    redirectingListenersByPool(db, ids),
  ]);
  return rows.map((row) => {
    const monitor = monitors.get(row.id)?.[0];
    return {
      ...poolFields(row),
      loadbalancers: [{ id: row.load_balancer_id }],
      // Listeners using it as default pool or through an L7 policy (docs/octavia-compatibility.md §5.4).
      listeners: idRefs([...new Set([...(listeners.get(row.id) ?? []), ...(redirecting.get(row.id) ?? [])])]),
      members: idRefs(members.get(row.id)),
      ...(monitor ? { healthmonitor_id: monitor } : {}),
    };
  });
}
