// /ui/: the dashboard (src/ui), static files built by Vite, public like the API docs: the page
// itself holds no data, and every call it makes carries the user's token. Its pages live in the
// URL fragment, so /ui answers with index.html; hashed assets are cached for good.
import fastifyStatic from '@fastify/static';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { FulcrumError } from '../../errors.ts';
import { DASHBOARD_DIR, DASHBOARD_INDEX, dashboardBuilt } from '../../ui/build.ts';

/** Nothing but Fulcrum itself: no script, style or connection goes anywhere else. */
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

class DashboardNotBuilt extends FulcrumError {
  constructor() {
    super('LB_ERR_NOT_FOUND', 404, 'The dashboard is not built on this server: run `npm run build:ui` (npm ci builds it).');
  }
}

export async function dashboardRoutes(app: Api, _deps: ApiDeps): Promise<void> {
  await app.register(fastifyStatic, {
    root: DASHBOARD_DIR,
    prefix: '/ui/',
    index: false,
    suppressWarning: true,
    setHeaders: (reply, path) => {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      reply.header('x-content-type-options', 'nosniff');
      // Vite names every asset by its content hash; only index.html changes under one name.
      reply.header('cache-control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });
  // `/ui/` arrives as `/ui`: the API drops trailing slashes before routing (app.ts).
  app.get('/ui', async (_request, reply) => {
    if (!dashboardBuilt()) throw new DashboardNotBuilt();
    return reply.sendFile(DASHBOARD_INDEX);
  });
}
