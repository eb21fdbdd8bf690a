// `noauth`: every caller is an administrator; the project comes from X-Project-Id (or the
// request body, where an object is created for a project).
import type { IncomingHttpHeaders } from 'node:http';
import type { AuthContext } from './context.ts';

export function authenticate(headers: IncomingHttpHeaders): AuthContext {
  const header = headers['x-project-id'] ?? headers['x-tenant-id'];
  const projectId = typeof header === 'string' && header.length > 0 ? header : null;
  return { projectId, roles: ['admin'], isAdmin: true };
}
