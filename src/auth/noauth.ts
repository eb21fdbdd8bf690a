// `noauth`: every caller is an administrator; the project comes from X-Project-Id (or the
// request body, where an object is created for a project).
import type { IncomingHttpHeaders } from 'node:http';
import { InvalidInput } from '../errors.ts';
import type { AuthContext } from './context.ts';
import { projectFromHeaders, rawHeadersOf } from './identity-headers.ts';

export function authenticate(headers: IncomingHttpHeaders, rawHeaders: readonly string[] = rawHeadersOf(headers)): AuthContext {
  let projectId: string | null;
  try {
    projectId = projectFromHeaders(rawHeaders);
  } catch (problem) {
    throw new InvalidInput(`Invalid input: ${String(problem)}.`);
  }
  return { projectId, roles: ['admin'], isAdmin: true };
}
