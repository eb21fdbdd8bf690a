// The load-balancer graph: everything a data plane needs to serve one load balancer, in the
// canonical model (the database row types). Config rendering takes this and nothing else.
import type { Selectable } from 'kysely';
import type { ProtectionOverrides } from './protection.ts';
import type {
  HealthMonitorTable,
  ListenerTable,
  LoadBalancerTable,
  MemberTable,
  PoolTable,
} from '../db/schema.ts';

export type LoadBalancer = Selectable<LoadBalancerTable>;
export type Listener = Selectable<ListenerTable>;
export type Pool = Selectable<PoolTable>;
export type Member = Selectable<MemberTable>;
export type HealthMonitor = Selectable<HealthMonitorTable>;

export const L7_ACTIONS = ['REJECT', 'REDIRECT_TO_URL', 'REDIRECT_TO_POOL', 'REDIRECT_PREFIX'] as const;
export const L7_RULE_TYPES = [
  'HOST_NAME',
  'PATH',
  'FILE_TYPE',
  'HEADER',
  'COOKIE',
  'SSL_CONN_HAS_CERT',
  'SSL_VERIFY_RESULT',
  'SSL_DN_FIELD',
] as const;
export const L7_COMPARE_TYPES = ['REGEX', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO'] as const;

export interface L7Rule {
  id: string;
  type: (typeof L7_RULE_TYPES)[number];
  compare_type: (typeof L7_COMPARE_TYPES)[number];
  key: string | null;
  value: string;
  invert: boolean;
  admin_state_up: boolean;
}

export interface L7Policy {
  id: string;
  name: string | null;
  action: (typeof L7_ACTIONS)[number];
  redirect_pool_id: string | null;
  redirect_url: string | null;
  redirect_prefix: string | null;
  redirect_http_code: number | null;
  /** 1-based, dense per listener; first matching policy wins. */
  position: number;
  admin_state_up: boolean;
  rules: L7Rule[];
}

export interface ListenerNode extends Listener {
  l7policies: L7Policy[];
  /**
   * Per-source protection from the load balancer's flavor and the listener's own settings, the
   * latter's keys winning; the operator's configured defaults go under these at rendering.
   * Absent: neither sets anything.
   */
  protection?: ProtectionOverrides;
}

export interface PoolNode extends Pool {
  members: Member[];
  healthMonitor: HealthMonitor | null;
}

export interface LbGraph {
  loadBalancer: LoadBalancer;
  listeners: ListenerNode[];
  pools: PoolNode[];
}
