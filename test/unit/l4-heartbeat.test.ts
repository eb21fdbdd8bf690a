// The UDP/SCTP rows of a heartbeat: states in HAProxy's terms, the stats call's counters on the
// listener row, and on every row the /metrics figures under HAProxy's column names where they
// mean the same (flows as connections, live flows as active connections, bytes) plus packets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { L4Plan } from '../../src/amphora/render/l4-plan.ts';
import { l4HeartbeatProxies } from '../../src/agent/l4-heartbeat.ts';
import type { L4Counters } from '../../src/agent/l4-counters.ts';

const L = 'bbbbbbbb-0000-4000-8000-000000000001';
const P = 'cccccccc-0000-4000-8000-000000000001';
const M1 = 'dddddddd-0000-4000-8000-000000000001';
const M2 = 'dddddddd-0000-4000-8000-000000000002';
const member = (id: string, address: string) => ({ id, address, port: 5353, weight: 1, backup: false, enabled: true, probeAddress: address, probePort: 5353 });
const plan: L4Plan = {
  listeners: [
    {
      id: L,
      protocol: 'udp',
      vips: ['10.0.0.10'],
      port: 53,
      allowedCidrs: [],
      pool: {
        id: P,
        selection: 'round-robin',
        persistence: null,
        members: [member(M1, '10.0.1.1'), member(M2, '10.0.1.2')],
        monitor: { type: 'UDP-CONNECT', delayMs: 3000, timeoutMs: 1000, rise: 1, fall: 1, http: null },
      },
    },
  ],
};

test('listener, member and pool rows carry flows, live flows, bytes and packets as figures', () => {
  const counted: L4Counters = {
    listeners: new Map([[L, { packetsIn: 12, bytesIn: 1200, packetsOut: 10, bytesOut: 2000, flows: 7 }]]),
    members: new Map([
      [`${L} ${M1}`, { packetsIn: 8, bytesIn: 800, packetsOut: 8, bytesOut: 1600, flows: 5 }],
      [`${L} ${M2}`, { packetsIn: 4, bytesIn: 400, packetsOut: 2, bytesOut: 400, flows: 2 }],
    ]),
  };
  const active = { listeners: new Map([['10.0.0.10 53', 3]]), members: new Map([['10.0.0.10 53 10.0.1.1 5353', 2], ['10.0.0.10 53 10.0.1.2 5353', 1]]) };
  const rows = l4HeartbeatProxies(plan, counted, active, new Set([M2]));
  const backend = `${P}:${L}`;
  assert.deepEqual(rows, [
    { p: L, s: 'FRONTEND', st: 'OPEN', c: [1200, 2000, 3, 7, 0], m: { stot: 7, scur: 3, bin: 1200, bout: 2000, pkts_in: 12, pkts_out: 10 } },
    { p: backend, s: M1, st: 'UP', m: { stot: 5, scur: 2, bin: 800, bout: 1600, pkts_in: 8, pkts_out: 8 } },
    { p: backend, s: M2, st: 'DOWN', m: { stot: 2, scur: 1, bin: 400, bout: 400, pkts_in: 4, pkts_out: 2 } },
    { p: backend, s: 'BACKEND', st: 'UP', m: { stot: 7, scur: 3, bin: 1200, bout: 2000, pkts_in: 12, pkts_out: 10 } },
  ]);
});

test('an idle data plane sends no figures, only states and the stats call\'s zeros', () => {
  const none = { listeners: new Map(), members: new Map() };
  const rows = l4HeartbeatProxies(plan, { listeners: new Map(), members: new Map() }, none, new Set());
  assert.ok(rows.every((r) => r.m === undefined), JSON.stringify(rows));
  assert.deepEqual(rows[0].c, [0, 0, 0, 0, 0]);
});
