// Authorization: every route names its Octavia policy action in its route config
// (`config: { policy: 'loadbalancer:get_one' }`, the rule name without the
// `os_load-balancer_api:` prefix; Fulcrum's own API uses `fulcrum:<resource>:<action>`), and
// the target project is always the stored object's (docs/octavia-compatibility.md §7.1). `authorize` is the one
// place that judges a request against the process's policy (defaults + FULCRUM_POLICY_FILE).
import type { FastifyRequest } from 'fastify';
import { Forbidden } from '../errors.ts';
import type { AuthContext } from './context.ts';
import type { Credentials } from './check-string.ts';
import type { PolicyEngine } from './policy-engine.ts';
import { ruleName } from './policy-defaults.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Policy action of the route, e.g. `listener:post`; routes without one are public. */
    policy?: string;
  }
  interface FastifyInstance {
    policyEngine: PolicyEngine;
  }
}

/**
 * Lists of children whose parent is loaded (and authorized, with the list's own action)
 * before the list is read: the parent decides, so the list is not narrowed to the caller's
 * project (a `service` user lists another project's pool members, as in Octavia).
 */
const PARENT_SCOPED_LISTS = new Set(['member:get_all', 'l7rule:get_all']);

/** The policy action of the route serving `request`. */
export function policyAction(request: FastifyRequest): string | undefined {
  return request.routeOptions.config.policy;
}

/** What check strings see of the caller: oslo.policy's credential names. */
export function credentialsOf(auth: AuthContext, engine: PolicyEngine): Credentials {
  const base = { roles: auth.roles, project_id: auth.projectId, tenant_id: auth.projectId };
  return { ...base, is_admin: auth.isAdmin || engine.enforce('context_is_admin', {}, { ...base, is_admin: false }) };
}

/** Whether the caller may perform `action` on an object of `targetProjectId`. */
export function isAllowed(request: FastifyRequest, targetProjectId: string | null, action: string): boolean {
  if (request.auth.isAdmin) return true;
  const engine = request.server.policyEngine;
  return engine.enforce(ruleName(action), { project_id: targetProjectId, tenant_id: targetProjectId }, credentialsOf(request.auth, engine));
}

/**
 * Throws 403 unless the caller may perform the route's action on an object of
 * `targetProjectId` (for project-less resources such as flavors: the caller's own project).
 * A route without an action fails closed here: only public routes may lack one, and they
 * authorize nothing.
 */
export function authorize(request: FastifyRequest, targetProjectId: string | null, action = policyAction(request)): void {
  if (!action || !isAllowed(request, targetProjectId, action)) throw new Forbidden();
}

/**
 * For list routes (action `<resource>:get_all`): throws 403 unless the caller may list its
 * own project's objects, then says whether it may see every project
 * (`<resource>:get_all-global`). Lists under an authorized parent are not narrowed.
 */
export function mayListAllProjects(request: FastifyRequest): boolean {
  const action = policyAction(request);
  if (!action || !action.endsWith(':get_all')) throw new Forbidden();
  if (PARENT_SCOPED_LISTS.has(action)) return true;
  authorize(request, request.auth.projectId, action);
  return isAllowed(request, request.auth.projectId, `${action}-global`);
}
