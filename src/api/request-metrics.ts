// Every API request counted by its route pattern (`/v2/lbaas/loadbalancers/:id`, never the raw
// URL, so ids do not multiply the series), method and status, with its latency.
import type { FastifyInstance } from 'fastify';
import { apiRequests } from '../observability/metrics.ts';

async function install(app: FastifyInstance): Promise<void> {
  const requests = apiRequests();
  app.addHook('onResponse', async (request, reply) => {
    // Requests no route matched share one series, whatever their path.
    const route = request.routeOptions.url ?? 'unmatched';
    requests.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}

/** Not encapsulated (Fastify's skip-override): it sees every route. */
export const requestMetricsPlugin = Object.assign(install, { [Symbol.for('skip-override')]: true });
