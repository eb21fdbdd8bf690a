// The noop amphora agents report what an idle, healthy HAProxy would for the graph, so the
// health poller's statuses (operatingStatuses) come out ONLINE, members NO_MONITOR without a
// monitor, OFFLINE when admin-down, and pools no listener routes to have no backend.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { idleHealthyStats } from '../../src/providers/amphora/noop-agents.ts';
import { operatingStatuses } from '../../src/health/operating-status.ts';
import { graph, healthMonitor, listener, loadBalancer, member, pool, resetIds } from '../helpers/graph-builder.ts';

beforeEach(() => resetIds());

test('frontends, routed backends and their members, with zero counters', () => {
  const up = member();
  const down = member({ admin_state_up: false });
  const monitored = pool({ members: [up, down], healthMonitor: healthMonitor() });
  const unrouted = pool({ members: [member()] });
  const l = listener({ default_pool_id: monitored.id });
  const g = graph(loadBalancer(), [l], [monitored, unrouted]);
  const stats = idleHealthyStats(g);
  assert.deepEqual(
    stats.map((s) => [s.proxy, s.server, s.status]),
    [
      [l.id, 'FRONTEND', 'OPEN'],
      [monitored.id, 'BACKEND', 'UP'],
      [monitored.id, up.id, 'UP'],
      [monitored.id, down.id, 'MAINT'],
    ],
  );
  assert.deepEqual(stats[0].counters, { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0, refused_connections: 0, refused_requests: 0 });

  const statuses = operatingStatuses(g, stats);
  assert.deepEqual(statuses.loadbalancer, [{ id: g.loadBalancer.id, operating_status: 'ONLINE' }]);
  assert.deepEqual(statuses.listener, [{ id: l.id, operating_status: 'ONLINE' }]);
  assert.deepEqual(statuses.pool, [
    { id: monitored.id, operating_status: 'ONLINE' },
    { id: unrouted.id, operating_status: 'OFFLINE' },
  ]);
  assert.deepEqual(statuses.member?.slice(0, 2), [
    { id: up.id, operating_status: 'ONLINE' },
    { id: down.id, operating_status: 'OFFLINE' },
  ]);
});

test('members of a pool without a monitor are unchecked: NO_MONITOR', () => {
  const m = member();
  const p = pool({ members: [m] });
  const g = graph(loadBalancer(), [listener({ default_pool_id: p.id })], [p]);
  const stats = idleHealthyStats(g);
  assert.equal(stats.find((s) => s.server === m.id)?.status, 'no check');
  assert.deepEqual(operatingStatuses(g, stats).member, [{ id: m.id, operating_status: 'NO_MONITOR' }]);
});
