// Who is calling: the result of authentication, which the policy engine judges.
export interface AuthContext {
  /** The project the caller's credentials are scoped to; null when none was given. */
  projectId: string | null;
  roles: string[];
  /**
   * A superuser the policy is not consulted for: only the `noauth` strategy sets it. Roles such
   * as `admin` are judged by the policy (whose `is_admin:True` also holds for them), so an
   * operator's policy file applies to administrators too.
   */
  isAdmin: boolean;
}

/** The caller of a public route (version document, API docs): nobody in particular. */
export const ANONYMOUS: AuthContext = Object.freeze({ projectId: null, roles: Object.freeze([]) as unknown as string[], isAdmin: false });

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext;
  }
}
