// GET /metrics: Prometheus's text format, what this process counted and what the database says
// of the fleet (observability/). Admin only through the policy engine (every caller is one
// under noauth); FULCRUM_METRICS_BIND serves the same without credentials on its own address.
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { authorize } from '../../auth/policy.ts';
import { fleetRegistry } from '../../observability/fleet-metrics.ts';
import { collectProcessMetrics, EXPOSITION_CONTENT_TYPE, exposition } from '../../observability/metrics.ts';

export async function metricsRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  collectProcessMetrics();
  app.get('/metrics', { config: { policy: 'fulcrum:metrics:get' } }, async (request, reply) => {
    authorize(request, request.auth.projectId);
    const text = await exposition([await fleetRegistry(db)]);
    return reply.type(EXPOSITION_CONTENT_TYPE).send(text);
  });
}
