// Wires authentication and policy into the HTTP application: every request to a route with a
// policy action is authenticated before anything else happens to it (as keystonemiddleware
// sits in front of Octavia); public routes (version document, API docs) need no credentials.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, Unauthorized } from '../errors.ts';
import type { FulcrumConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { Authenticator } from './authenticator.ts';
import { ANONYMOUS, type AuthContext } from './context.ts';
import { loadPolicy } from './policy-file.ts';
import { policyAction } from './policy.ts';
import { createAuthenticator } from './strategies.ts';

/** keystonemiddleware's 401 body, which OpenStack clients expect (docs/octavia-compatibility.md §1.2). */
export const UNAUTHORIZED_BODY = {
  error: { code: 401, title: 'Unauthorized', message: new Unauthorized().message },
};

/** A route, as registered, with its policy action (for tests and documentation). */
export interface RouteEntry {
  method: string;
  url: string;
  policy: string | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteEntry[];
  }
}

/**
 * Routes that need no credentials: the version documents, the API docs, the dashboard's static
 * files (its API calls carry the user's token), and the not-found handler (url undefined).
 * Every other route must name a policy action; one that does not (a new route missing its
 * `config.policy`) is refused, not served unguarded.
 */
export function isPublicRoute(url: string | undefined): boolean {
  return url === undefined || url === '/' || url === '/v2' || url === '/docs' || url.startsWith('/docs/') || url === '/ui' || url.startsWith('/ui/') || url === HOST_JOIN;
}

/** A joining host has no credentials yet: its one-time join token is checked by the route. */
const HOST_JOIN = '/v2/fulcrum/hosts/join';

export function authenticationHook(authenticator: Authenticator) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!policyAction(request)) {
      if (!isPublicRoute(request.routeOptions.url)) throw new Forbidden();
      request.auth = ANONYMOUS;
      return;
    }
    try {
      request.auth = await authenticator.authenticate(request.headers, request.raw.rawHeaders);
    } catch (err) {
      if (!(err instanceof Unauthorized)) throw err;
      if (authenticator.challenge) reply.header('www-authenticate', authenticator.challenge);
      return reply.status(401).send(UNAUTHORIZED_BODY);
    }
  };
}

/** What authentication needs from the process (a part of the API's dependencies). */
interface AuthDeps {
  config: FulcrumConfig;
  log: Logger;
  database: Database;
}

async function installAuth(app: FastifyInstance, deps: AuthDeps): Promise<void> {
  app.decorate('policyEngine', loadPolicy(deps.config.policyFile, deps.config.policyProfile));
  const authenticator = createAuthenticator(deps.config, deps.log, deps.database);
  app.decorateRequest('auth', null as unknown as AuthContext);
  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routeTable.push({ method, url: route.url, policy: route.config?.policy });
    }
  });
  app.addHook('onRequest', authenticationHook(authenticator));
  app.addHook('onClose', async () => {
    await authenticator.close?.();
  });
}

/**
 * Loads the policy (failing start on a bad policy file) and authenticates every request.
 * Not encapsulated (Fastify's skip-override, as fastify-plugin sets): it applies to every route.
 */
export const authPlugin = Object.assign(installAuth, { [Symbol.for('skip-override')]: true });
