// The JSON body parser. Octavia ignores the body of a request whose route takes none, and
// OpenStack clients send `Content-Type: application/json` with an empty body on every DELETE
// (and on bodyless PUTs such as failover): such a request must not be refused as invalid JSON.
// A route that declares a body schema still gets the 400 for an empty body.
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Whether the route serving `request` reads a request body. */
function takesBody(request: FastifyRequest): boolean {
  return request.routeOptions.schema?.body !== undefined;
}

// Any logger and type provider: the parser sees only the raw text.
// biome-ignore lint/suspicious/noExplicitAny: the parser must fit every app's generic parameters
export function installJsonBodyParser(app: FastifyInstance<any, any, any, any, any>): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.length === 0 && !takesBody(request)) {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
