// /v2/fulcrum/health: the health managers alive, with what their receivers accepted and dropped
// (by reason) and a summary of the amphorae they hear (unhealable ones, self-heals); the circuit
// breakers, why automatic failover is stopped where it is, and the operator's reset (the
// amphorae silent at that moment may then be failed over). Admin only.
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../route-types.ts';
import { NotFound } from '../../errors.ts';
import { authorize } from '../../auth/policy.ts';
import { octaviaTime } from '../octavia/common.ts';
import { Strict, Type, Wrapped } from '../octavia/schema-types.ts';
import { recordEvent } from '../../observability/events.ts';
import { breakerRows, resetBreaker, type BreakerRow } from '../../health/failover-store.ts';
import { amphoraHealthSummary } from '../../health/heartbeat-flush-store.ts';
import { managerRows } from '../../health/manager-registry-store.ts';

const Reset = Wrapped('circuit_breaker', Strict({ domain: Type.String({ minLength: 1, maxLength: 300 }) }));

function serialize(row: BreakerRow) {
  return {
    domain: row.domain,
    open: row.open,
    reason: row.reason,
    silent: row.silent,
    total: row.total,
    opened_at: octaviaTime(row.opened_at),
    closed_at: octaviaTime(row.closed_at),
    reset_at: octaviaTime(row.reset_at),
    updated_at: octaviaTime(row.updated_at),
  };
}

export async function healthRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const db = deps.database.db;
  app.get('/v2/fulcrum/health/managers', { config: { policy: 'fulcrum:health_manager:get_all' } }, async (request) => {
    authorize(request, request.auth.projectId);
    const rows = await managerRows(db);
    return {
      health_managers: rows.map((r) => ({
        id: r.id,
        address: `${r.host}:${r.port}`,
        heartbeats: r.counters,
        started_at: octaviaTime(r.started_at),
        alive_at: octaviaTime(r.alive_at),
      })),
      // Amphorae heard from, those whose agent reports it cannot heal them, and the daemon
      // restarts their agents' supervision did (each agent counts from its own start).
      amphorae: await amphoraHealthSummary(db),
    };
  });

  app.get('/v2/fulcrum/health/circuit-breakers', { config: { policy: 'fulcrum:circuit_breaker:get_all' } }, async (request) => {
    authorize(request, request.auth.projectId);
    return { circuit_breakers: (await breakerRows(db)).map(serialize) };
  });

  app.post('/v2/fulcrum/health/circuit-breakers/reset', { config: { policy: 'fulcrum:circuit_breaker:reset' }, schema: { body: Reset } }, async (request) => {
    authorize(request, request.auth.projectId);
    const { domain } = request.body.circuit_breaker;
    const row = await db.transaction().execute(async (trx) => {
      const reset = await resetBreaker(trx, domain);
      if (reset) await recordEvent(trx, { type: 'circuit_breaker.reset', projectId: null, loadBalancerId: null, detail: { domain, by: 'operator' } });
      return reset;
    });
    if (!row) throw new NotFound('CircuitBreaker', domain);
    return { circuit_breaker: serialize(row) };
  });
}
