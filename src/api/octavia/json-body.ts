// The JSON body parser. Octavia ignores the body of a request whose route takes none, and
// OpenStack clients send `Content-Type: application/json` with an empty body on every DELETE
// (and on bodyless PUTs such as failover): such a request must not be refused as invalid JSON.
// A route that declares a body schema still gets the 400 for an empty body.
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Whether the route serving `request` reads a request body. */
function takesBody(request: FastifyRequest): boolean {
  return request.routeOptions.schema?.body !== undefined;
}

export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0 && !takesBody(request)) {
      done(null, undefined);
      return;
    }
    parseJson(request, body, done);
  });
}
