// Authorization: every route names its Octavia policy action in its route config
// (`config: { policy: 'loadbalancer:get_one' }`, the rule name without the
// `os_load-balancer_api:` prefix), and the target project is always the stored object's
// (reference §7.1). `authorize` is the one place that judges a request against it.
import type { FastifyRequest } from 'fastify';
import { Forbidden } from '../errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Octavia policy action of the route, e.g. `listener:post`; routes without one are public. */
    policy?: string;
  }
}

/** The policy action of the route serving `request`. */
export function policyAction(request: FastifyRequest): string | undefined {
  return request.routeOptions.config.policy;
}

/**
 * Throws 403 unless the caller may perform the route's action on an object of
 * `targetProjectId` (for project-less resources such as flavors: the caller's own project).
 */
export function authorize(request: FastifyRequest, targetProjectId: string | null, action = policyAction(request)): void {
  if (!action) return;
  if (request.auth.isAdmin) return;
  if (targetProjectId === null || targetProjectId !== request.auth.projectId) throw new Forbidden();
}

/** For list routes: whether the caller may see every project (`<resource>:get_all-global`). */
export function mayListAllProjects(request: FastifyRequest): boolean {
  return request.auth.isAdmin;
}
