// Version discovery (reference §1.3): every minor version up to the one whose features are
// served is listed, the highest CURRENT. Clients read the list to decide what to use.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.ts';
import { baseUrl } from '../links.ts';

const VERSIONS: [string, string][] = [
  ['v2.0', '2016-12-11T00:00:00Z'],
  ['v2.1', '2018-04-20T00:00:00Z'],
  ['v2.2', '2018-07-31T00:00:00Z'],
  ['v2.3', '2018-12-18T00:00:00Z'],
  ['v2.4', '2018-12-19T00:00:00Z'],
  ['v2.5', '2019-01-21T00:00:00Z'],
];

export function versionDocument(request: FastifyRequest, apiBaseUri: string | null) {
  const href = `${baseUrl(request, apiBaseUri)}/v2`;
  return {
    versions: VERSIONS.map(([id, updated], i) => ({
      id,
      status: i === VERSIONS.length - 1 ? 'CURRENT' : 'SUPPORTED',
      updated,
      links: [{ href, rel: 'self' }],
    })),
  };
}

export async function versionRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get('/', { schema: { hide: true } }, async (request) => versionDocument(request, deps.config.apiBaseUri));
  app.get('/v2', { schema: { hide: true } }, async (_request, reply) => reply.type('application/json').send(JSON.stringify('v2')));
}
