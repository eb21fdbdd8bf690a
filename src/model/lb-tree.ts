// The fully-populated ("single-call") load balancer create (docs/octavia-compatibility.md §5.2): which pools the
// request defines and where it only names them, the ids every object will get, the order of
// creation (pools, then listeners, then their L7 policies and rules) and how many objects of
// each kind the request makes, for the quota. Pure; the write path carries the plan out.
import { Conflict, ListenerNoChildren, NotFound, ValidationFailure } from '../errors.ts';
import { MAX_RULES_PER_POLICY } from './l7-rule.ts';
import { placePolicy } from './l7-policy.ts';
import { checkListenerPoolProtocols, portSpace } from './protocol-rules.ts';
import type { QuotaRequest } from './quota.ts';

export interface PoolSpec {
  name?: string | null;
  protocol?: string;
  lb_algorithm?: string;
  healthmonitor?: unknown;
  members?: readonly unknown[] | null;
}

export interface L7PolicySpec<P extends PoolSpec> {
  position?: number | null;
  redirect_pool_id?: string | null;
  redirect_pool?: P | null;
  rules?: readonly unknown[] | null;
}

export interface ListenerSpec<P extends PoolSpec, Q extends L7PolicySpec<P>> {
  protocol: string;
  protocol_port: number;
  default_pool_id?: string | null;
  default_pool?: P | null;
  l7policies?: readonly Q[] | null;
}

export interface LbTreeSpec<P extends PoolSpec, Q extends L7PolicySpec<P>, L extends ListenerSpec<P, Q>> {
  listeners?: readonly L[] | null;
  pools?: readonly P[] | null;
}

type RuleOf<Q> = Q extends { rules?: readonly (infer R)[] | null } ? R : never;

export interface PlannedPool<P> {
  id: string;
  name: string;
  /** The pool's one full definition, with protocol and lb_algorithm checked present. */
  spec: P & { protocol: string; lb_algorithm: string };
}

export interface PlannedPolicy<Q> {
  id: string;
  spec: Q;
  /** Dense 1..N on its listener, as the policies' own `position`s place them in turn. */
  position: number;
  redirectPoolId: string | null;
  rules: { id: string; spec: RuleOf<Q> }[];
}

export interface PlannedListener<L, Q> {
  id: string;
  spec: L;
  defaultPoolId: string | null;
  policies: PlannedPolicy<Q>[];
}

export interface LbTreePlan<P, Q, L> {
  /** In creation order: the top-level pools, then those defined inside listeners. */
  pools: PlannedPool<P>[];
  listeners: PlannedListener<L, Q>[];
  /** Objects of each kind the request creates below the load balancer. */
  counts: Required<Omit<QuotaRequest, 'loadbalancer'>>;
}

// Octavia counts a pool spec with more than three keys, once `admin_state_up` and
// `tls_enabled` have their defaults, as a definition; name plus those two is a reference.
const REFERENCE_KEYS = new Set(['name', 'admin_state_up', 'tls_enabled']);

export function isPoolDefinition(spec: PoolSpec): boolean {
  return Object.entries(spec).some(([key, value]) => value !== undefined && !REFERENCE_KEYS.has(key));
}

function poolName(spec: PoolSpec): string {
  if (!spec.name) throw new ValidationFailure('Pools must be named when creating a fully populated loadbalancer.');
  return spec.name;
}

/** The pool definitions in creation order and the names referenced elsewhere (Octavia's walk). */
function collectPools<P extends PoolSpec, Q extends L7PolicySpec<P>, L extends ListenerSpec<P, Q>>(tree: LbTreeSpec<P, Q, L>) {
  const definitions: { name: string; spec: P }[] = (tree.pools ?? []).map((spec) => ({ name: poolName(spec), spec }));
  const referenced: string[] = [];
  const visit = (spec: P | null | undefined) => {
    if (!spec) return;
    const name = poolName(spec);
    if (isPoolDefinition(spec)) definitions.push({ name, spec });
    else referenced.push(name);
  };
  for (const listener of tree.listeners ?? []) {
    visit(listener.default_pool);
    for (const policy of listener.l7policies ?? []) visit(policy.redirect_pool);
  }
  return { definitions, referenced };
}

function checkPortsUnique(listeners: readonly ListenerSpec<PoolSpec, L7PolicySpec<PoolSpec>>[]): void {
  const taken = new Set<string>();
  for (const { protocol, protocol_port: port } of listeners) {
    const key = `${portSpace(protocol)}:${port}`;
    if (taken.has(key)) throw new Conflict(`Another Listener on this Load Balancer is already using protocol ${protocol} and protocol_port ${port}`);
    taken.add(key);
  }
}

/**
 * Checks the request's tree and plans its creation. `newId` names every pool, listener, L7
 * policy and rule up front, so references between them resolve before anything is written.
 * Errors use Octavia's texts (docs/octavia-compatibility.md §5.2); pool naming errors come first, in Octavia's order.
 */
export function planLbTree<P extends PoolSpec, Q extends L7PolicySpec<P>, L extends ListenerSpec<P, Q>>(
  tree: LbTreeSpec<P, Q, L>,
  newId: () => string,
): LbTreePlan<P, Q, L> {
  const { definitions, referenced } = collectPools(tree);
  const names = definitions.map((d) => d.name);
  if (new Set(names).size !== names.length) {
    throw new ValidationFailure('Pool names must be unique when creating a fully populated loadbalancer.');
  }
  const dangling = referenced.find((name) => !names.includes(name));
  if (dangling !== undefined) throw new ValidationFailure(`Pool '${dangling}' was referenced but no full definition was found.`);
  const pools = definitions.map(({ name, spec }): PlannedPool<P> => {
    for (const attr of ['protocol', 'lb_algorithm'] as const) {
      if (!spec[attr]) throw new ValidationFailure(`Pool definition for '${name}' missing required attribute: ${attr}`);
    }
    return { id: newId(), name, spec: spec as PlannedPool<P>['spec'] };
  });
  const byName = new Map(pools.map((p) => [p.name, p]));

  const listenerSpecs = tree.listeners ?? [];
  checkPortsUnique(listenerSpecs);
  const listeners = listenerSpecs.map((spec): PlannedListener<L, Q> => {
    // The load balancer is new, so a pool named by id cannot be on it.
    if (spec.default_pool_id && !spec.default_pool) throw new NotFound('Pool', spec.default_pool_id);
    const defaultPool = spec.default_pool ? byName.get(poolName(spec.default_pool))! : null;
    if (defaultPool) checkListenerPoolProtocols(spec.protocol, defaultPool.spec.protocol);
    const policySpecs = spec.l7policies ?? [];
    if (policySpecs.length > 0 && spec.protocol === 'PROMETHEUS') throw new ListenerNoChildren(spec.protocol);
    let order: string[] = [];
    const policies = policySpecs.map((policy) => {
      if (policy.redirect_pool_id && !policy.redirect_pool) throw new NotFound('Pool', policy.redirect_pool_id);
      const redirect = policy.redirect_pool ? byName.get(poolName(policy.redirect_pool))! : null;
      if (redirect) checkListenerPoolProtocols(spec.protocol, redirect.spec.protocol);
      const id = newId();
      const rules = (policy.rules ?? []) as readonly RuleOf<Q>[];
      if (rules.length > MAX_RULES_PER_POLICY) throw new Conflict(`Too many rules on L7 policy ${id}`);
      order = placePolicy(order, id, policy.position);
      return { id, spec: policy, redirectPoolId: redirect?.id ?? null, rules: rules.map((rule) => ({ id: newId(), spec: rule })) };
    });
    return {
      id: newId(),
      spec,
      defaultPoolId: defaultPool?.id ?? null,
      policies: policies.map((p) => ({ ...p, position: order.indexOf(p.id) + 1 })),
    };
  });

  const allPolicies = listeners.flatMap((l) => l.policies);
  return {
    pools,
    listeners,
    counts: {
      listener: listeners.length,
      pool: pools.length,
      member: pools.reduce((n, p) => n + (p.spec.members?.length ?? 0), 0),
      healthmonitor: pools.filter((p) => p.spec.healthmonitor).length,
      l7policy: allPolicies.length,
      l7rule: allPolicies.reduce((n, p) => n + p.rules.length, 0),
    },
  };
}

/** Whether a load balancer create carries a tree at all. */
export function hasTree(tree: LbTreeSpec<PoolSpec, L7PolicySpec<PoolSpec>, ListenerSpec<PoolSpec, L7PolicySpec<PoolSpec>>>): boolean {
  return (tree.listeners?.length ?? 0) > 0 || (tree.pools?.length ?? 0) > 0;
}
