// Amphorae ⇄ Octavia JSON (docs/octavia-compatibility.md §5.13). The API says `loadbalancer_id` (also as the
// filter name) where Fulcrum's column is `load_balancer_id`.
import type { Selectable } from 'kysely';
import type { AmphoraApiView } from '../../db/schema.ts';
import type { ListAttributes } from '../../model/list-query.ts';
import type { Stats } from '../../db/stats.ts';
import { octaviaTime } from './common.ts';

export type AmphoraRow = Selectable<AmphoraApiView>;

export const AMPHORA_ATTRS: ListAttributes = {
  id: { column: 'id', type: 'uuid' },
  loadbalancer_id: { column: 'load_balancer_id', type: 'uuid' },
  project_id: { column: 'project_id', type: 'string' },
  compute_id: { column: 'compute_id', type: 'string' },
  lb_network_ip: { column: 'lb_network_ip', type: 'string' },
  vrrp_ip: { column: 'vrrp_ip', type: 'string' },
  ha_ip: { column: 'ha_ip', type: 'string' },
  vrrp_port_id: { column: 'vrrp_port_id', type: 'uuid' },
  ha_port_id: { column: 'ha_port_id', type: 'uuid' },
  cert_expiration: { column: 'cert_expiration', type: 'time' },
  cert_busy: { column: 'cert_busy', type: 'bool' },
  role: { column: 'role', type: 'string' },
  status: { column: 'status', type: 'string' },
  vrrp_interface: { column: 'vrrp_interface', type: 'string' },
  vrrp_id: { column: 'vrrp_id', type: 'int' },
  vrrp_priority: { column: 'vrrp_priority', type: 'int' },
  cached_zone: { column: 'cached_zone', type: 'string' },
  image_id: { column: 'image_id', type: 'string' },
  compute_flavor: { column: 'compute_flavor', type: 'string' },
  created_at: { column: 'created_at', type: 'time' },
  updated_at: { column: 'updated_at', type: 'time' },
};

export function serializeAmphora(row: AmphoraRow) {
  return {
    id: row.id,
    loadbalancer_id: row.load_balancer_id,
    compute_id: row.compute_id,
    lb_network_ip: row.lb_network_ip,
    vrrp_ip: row.vrrp_ip,
    ha_ip: row.ha_ip,
    vrrp_port_id: row.vrrp_port_id,
    ha_port_id: row.ha_port_id,
    cert_expiration: octaviaTime(row.cert_expiration),
    cert_busy: row.cert_busy,
    role: row.role,
    status: row.status,
    vrrp_interface: row.vrrp_interface,
    vrrp_id: row.vrrp_id,
    vrrp_priority: row.vrrp_priority,
    cached_zone: row.cached_zone,
    image_id: row.image_id,
    compute_flavor: row.compute_flavor,
    created_at: octaviaTime(row.created_at),
    updated_at: octaviaTime(row.updated_at),
  };
}

/** One `amphora_stats` entry: the amphora's counters for one listener. */
export function amphoraStatsEntry(amphoraId: string, listenerId: string, loadBalancerId: string, stats: Stats) {
  return {
    id: amphoraId,
    listener_id: listenerId,
    loadbalancer_id: loadBalancerId,
    active_connections: stats.active_connections,
    bytes_in: stats.bytes_in,
    bytes_out: stats.bytes_out,
    request_errors: stats.request_errors,
    total_connections: stats.total_connections,
  };
}
