// How the parent resources of the tenant API are listed, shown and looked up: the routes of a
// resource and those of its children (a listener's, a pool's, a policy's) share these.
import { COMMON_ATTRS, type ResourceSpec } from './resource.ts';
import { serializeLoadBalancers, type LoadBalancerRow } from './octavia/loadbalancer.ts';
import { serializeListeners, type ListenerRow } from './octavia/listener.ts';
import { serializePools, type PoolRow } from './octavia/pool.ts';
import { serializeL7Policies, type L7PolicyRow } from './octavia/l7policy.ts';

export const loadBalancerSpec: ResourceSpec<LoadBalancerRow> = {
  table: 'load_balancer',
  displayName: 'Load Balancer',
  single: 'loadbalancer',
  plural: 'loadbalancers',
  hideStatus: 'DELETED',
  attrs: {
    ...COMMON_ATTRS,
    description: { column: 'description', type: 'string' },
    vip_address: { column: 'vip_address', type: 'string' },
    vip_port_id: { column: 'vip_port_id', type: 'uuid' },
    vip_subnet_id: { column: 'vip_subnet_id', type: 'uuid' },
    vip_network_id: { column: 'vip_network_id', type: 'uuid' },
    vip_qos_policy_id: { column: 'vip_qos_policy_id', type: 'uuid' },
    provider: { column: 'provider', type: 'string' },
    flavor_id: { column: 'flavor_id', type: 'uuid' },
    availability_zone: { column: 'availability_zone', type: 'string' },
  },
  serialize: serializeLoadBalancers,
};

export const listenerSpec: ResourceSpec<ListenerRow> = {
  table: 'listener',
  displayName: 'Listener',
  single: 'listener',
  plural: 'listeners',
  attrs: {
    ...COMMON_ATTRS,
    description: { column: 'description', type: 'string' },
    loadbalancer_id: { column: 'load_balancer_id', type: 'uuid' },
    protocol: { column: 'protocol', type: 'string' },
    protocol_port: { column: 'protocol_port', type: 'int' },
    connection_limit: { column: 'connection_limit', type: 'int' },
    default_pool_id: { column: 'default_pool_id', type: 'uuid' },
    default_tls_container_ref: { column: 'default_tls_container_ref', type: 'string' },
    client_ca_tls_container_ref: { column: 'client_ca_tls_container_ref', type: 'string' },
    client_authentication: { column: 'client_authentication', type: 'string' },
    client_crl_container_ref: { column: 'client_crl_container_ref', type: 'string' },
    timeout_client_data: { column: 'timeout_client_data', type: 'int' },
    timeout_member_connect: { column: 'timeout_member_connect', type: 'int' },
    timeout_member_data: { column: 'timeout_member_data', type: 'int' },
    timeout_tcp_inspect: { column: 'timeout_tcp_inspect', type: 'int' },
    tls_ciphers: { column: 'tls_ciphers', type: 'string' },
    hsts_max_age: { column: 'hsts_max_age', type: 'int' },
  },
  serialize: serializeListeners,
};

export const poolSpec: ResourceSpec<PoolRow> = {
  table: 'pool',
  displayName: 'Pool',
  single: 'pool',
  plural: 'pools',
  attrs: {
    ...COMMON_ATTRS,
    description: { column: 'description', type: 'string' },
    loadbalancer_id: { column: 'load_balancer_id', type: 'uuid' },
    protocol: { column: 'protocol', type: 'string' },
    lb_algorithm: { column: 'lb_algorithm', type: 'string' },
    tls_enabled: { column: 'tls_enabled', type: 'bool' },
    tls_container_ref: { column: 'tls_container_ref', type: 'string' },
    ca_tls_container_ref: { column: 'ca_tls_container_ref', type: 'string' },
    crl_container_ref: { column: 'crl_container_ref', type: 'string' },
  },
  serialize: serializePools,
};

export const l7PolicySpec: ResourceSpec<L7PolicyRow> = {
  table: 'l7policy',
  displayName: 'L7 Policy',
  single: 'l7policy',
  plural: 'l7policies',
  attrs: {
    ...COMMON_ATTRS,
    description: { column: 'description', type: 'string' },
    listener_id: { column: 'listener_id', type: 'uuid' },
    action: { column: 'action', type: 'string' },
    redirect_pool_id: { column: 'redirect_pool_id', type: 'uuid' },
    redirect_url: { column: 'redirect_url', type: 'string' },
    redirect_prefix: { column: 'redirect_prefix', type: 'string' },
    redirect_http_code: { column: 'redirect_http_code', type: 'int' },
    position: { column: 'position', type: 'int' },
  },
  serialize: serializeL7Policies,
};
