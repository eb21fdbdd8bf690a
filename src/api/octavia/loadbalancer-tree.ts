// The specs a fully-populated load balancer create embeds (docs/octavia-compatibility.md §5.2): each is its
// object's POST body without the parent ids and project, plus the nested children only this
// create accepts. Pools take protocol and lb_algorithm as optional here, since a pool may be a
// name-only reference; model/lb-tree.ts requires them of definitions with Octavia's texts.
import type { Static } from 'typebox';
import { HealthMonitorCreate } from './healthmonitor.ts';
import { L7PolicyCreate } from './l7policy.ts';
import { L7RuleCreate } from './l7rule.ts';
import { ListenerCreate } from './listener.ts';
import { MemberCreate } from './member.ts';
import { PoolCreate } from './pool.ts';
import { Nullable, Strict, Type } from './schema-types.ts';

const { project_id: _mp, tenant_id: _mt, ...memberFields } = MemberCreate.properties.member.properties;
const { pool_id: _hp, project_id: _hpp, tenant_id: _ht, ...monitorFields } = HealthMonitorCreate.properties.healthmonitor.properties;
const { project_id: _rp, tenant_id: _rt, ...ruleFields } = L7RuleCreate.properties.rule.properties;
const {
  listener_id: _pl,
  loadbalancer_id: _plb,
  project_id: _pp,
  tenant_id: _pt,
  protocol,
  lb_algorithm,
  ...poolFields
} = PoolCreate.properties.pool.properties;
const { listener_id: _ql, project_id: _qp, tenant_id: _qt, ...policyFields } = L7PolicyCreate.properties.l7policy.properties;
const { loadbalancer_id: _llb, project_id: _lp, tenant_id: _lt, ...listenerFields } = ListenerCreate.properties.listener.properties;

export const MemberSpec = Strict(memberFields);
export const HealthMonitorSpec = Strict(monitorFields);
export const L7RuleSpec = Strict(ruleFields);

export const PoolSpec = Strict({
  ...poolFields,
  protocol: Type.Optional(protocol),
  lb_algorithm: Type.Optional(lb_algorithm),
  healthmonitor: Type.Optional(Nullable(HealthMonitorSpec)),
  members: Type.Optional(Nullable(Type.Array(MemberSpec))),
});

export const L7PolicySpec = Strict({
  ...policyFields,
  redirect_pool: Type.Optional(Nullable(PoolSpec)),
  rules: Type.Optional(Nullable(Type.Array(L7RuleSpec))),
});

export const ListenerSpec = Strict({
  ...listenerFields,
  default_pool: Type.Optional(Nullable(PoolSpec)),
  l7policies: Type.Optional(Nullable(Type.Array(L7PolicySpec))),
});

/** The keys a load balancer create takes for its tree. */
export const LoadBalancerTreeFields = {
  listeners: Type.Optional(Type.Array(ListenerSpec)),
  pools: Type.Optional(Type.Array(PoolSpec)),
};

export type PoolSpecBody = Static<typeof PoolSpec>;
export type L7PolicySpecBody = Static<typeof L7PolicySpec>;
export type ListenerSpecBody = Static<typeof ListenerSpec>;
export type MemberSpecBody = Static<typeof MemberSpec>;
export type HealthMonitorSpecBody = Static<typeof HealthMonitorSpec>;
export type L7RuleSpecBody = Static<typeof L7RuleSpec>;
