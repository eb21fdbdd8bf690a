// HAProxy's view (`show stat`) → Octavia operating statuses (docs/octavia-compatibility.md §4.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { operatingStatuses, type ProxyStat } from '../../src/health/operating-status.ts';
import type { LbGraph } from '../../src/model/lb-graph.ts';

function graph(monitored: boolean): LbGraph {
  return {
    loadBalancer: { id: 'lb', admin_state_up: true },
    listeners: [{ id: 'l1', admin_state_up: true, l7policies: [] }],
    pools: [
      {
        id: 'p1',
        admin_state_up: true,
        healthMonitor: monitored ? { admin_state_up: true } : null,
        members: [
          { id: 'm1', admin_state_up: true },
          { id: 'm2', admin_state_up: true },
          { id: 'm3', admin_state_up: false },
        ],
      },
    ],
  } as unknown as LbGraph;
}

const status = (update: ReturnType<typeof operatingStatuses>, type: 'loadbalancer' | 'listener' | 'pool' | 'member', id: string) =>
  update[type]!.find((c) => c.id === id)?.operating_status;

test('all up: everything ONLINE, admin-down member OFFLINE', () => {
  const stats: ProxyStat[] = [
    { proxy: 'l1', server: 'FRONTEND', status: 'OPEN' },
    { proxy: 'p1', server: 'BACKEND', status: 'UP' },
    { proxy: 'p1', server: 'm1', status: 'UP' },
    { proxy: 'p1', server: 'm2', status: 'UP' },
    { proxy: 'p1', server: 'm3', status: 'MAINT' },
  ];
  const u = operatingStatuses(graph(true), stats);
  assert.equal(status(u, 'loadbalancer', 'lb'), 'ONLINE');
  assert.equal(status(u, 'listener', 'l1'), 'ONLINE');
  assert.equal(status(u, 'pool', 'p1'), 'ONLINE');
  assert.equal(status(u, 'member', 'm1'), 'ONLINE');
  assert.equal(status(u, 'member', 'm3'), 'OFFLINE');
});

test('a member down degrades its pool and the LB; all down is ERROR', () => {
  const one: ProxyStat[] = [
    { proxy: 'l1', server: 'FRONTEND', status: 'OPEN' },
    { proxy: 'p1', server: 'BACKEND', status: 'UP' },
    { proxy: 'p1', server: 'm1', status: 'UP' },
    { proxy: 'p1', server: 'm2', status: 'DOWN 1/2' },
  ];
  const u = operatingStatuses(graph(true), one);
  assert.equal(status(u, 'member', 'm2'), 'ERROR');
  assert.equal(status(u, 'pool', 'p1'), 'DEGRADED');
  assert.equal(status(u, 'loadbalancer', 'lb'), 'DEGRADED');
  const all = operatingStatuses(graph(true), [
    { proxy: 'l1', server: 'FRONTEND', status: 'OPEN' },
    { proxy: 'p1', server: 'BACKEND', status: 'DOWN' },
  ]);
  assert.equal(status(all, 'pool', 'p1'), 'ERROR');
  assert.equal(status(all, 'loadbalancer', 'lb'), 'ERROR');
});

test('without a monitor members are NO_MONITOR; draining and full frontends show', () => {
  const u = operatingStatuses(graph(false), [
    { proxy: 'l1', server: 'FRONTEND', status: 'FULL' },
    { proxy: 'p1', server: 'BACKEND', status: 'UP' },
    { proxy: 'p1', server: 'm1', status: 'no check' },
    { proxy: 'p1', server: 'm2', status: 'DRAIN' },
  ]);
  assert.equal(status(u, 'member', 'm1'), 'NO_MONITOR');
  assert.equal(status(u, 'member', 'm2'), 'DRAINING');
  assert.equal(status(u, 'listener', 'l1'), 'DEGRADED');
});

test('no report at all leaves everything OFFLINE; a missing frontend is ERROR', () => {
  const none = operatingStatuses(graph(true), null);
  assert.equal(status(none, 'loadbalancer', 'lb'), 'OFFLINE');
  assert.equal(status(none, 'listener', 'l1'), 'OFFLINE');
  const missing = operatingStatuses(graph(true), [{ proxy: 'p1', server: 'BACKEND', status: 'UP' }]);
  assert.equal(status(missing, 'listener', 'l1'), 'ERROR');
});
