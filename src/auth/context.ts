// Who is calling: the result of authentication, which the policy engine judges.
export interface AuthContext {
  /** The project the caller's credentials are scoped to; null when none was given. */
  projectId: string | null;
  roles: string[];
  isAdmin: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext;
  }
}
