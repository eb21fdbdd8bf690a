// The data plane's figures for /metrics, from `show stat` to exported series: which columns
// each row carries, how a worker's counters add to the totals (reloads start at zero, repeats
// add nothing), which objects a heartbeat's rows belong to, and the sums over amphorae.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { figuresIncrement, figuresOf, gaugesOf, PROXY_FIGURES } from '../../src/model/proxy-counters.ts';
import { parseShowStat } from '../../src/agent/stats.ts';
import { decodeBody, encodeFitting, encodeHeartbeat, parsePacket, type Heartbeat } from '../../src/agent/heartbeat-codec.ts';
import { reportedFigures } from '../../src/health/heartbeat-figures.ts';
import { aggregateFigures, registerFigures, type FigureRow } from '../../src/observability/fleet-metrics.ts';

const LB = '11111111-1111-4111-8111-111111111111';
const LISTENER = '22222222-2222-4222-8222-222222222222';
const POOL = '33333333-3333-4333-8333-333333333333';
const MEMBER = '44444444-4444-4444-8444-444444444444';
const AMPHORA_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const AMPHORA_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

test('a show stat row carries its scope\'s figures; empty and zero columns are left out', () => {
  const csv = [
    '# pxname,svname,scur,stot,bin,bout,ereq,econ,eresp,status,type,req_tot,hrsp_2xx,hrsp_5xx,dcon,chkfail,',
    `${LISTENER},FRONTEND,3,40,1000,5000,2,,,OPEN,0,38,36,0,1,,`,
    `${POOL}:${LISTENER},BACKEND,1,38,900,4800,,1,0,UP,1,38,36,0,,,`,
    `${POOL}:${LISTENER},${MEMBER},1,38,900,4800,,1,0,UP,2,,36,0,,7,`,
    '',
  ].join('\n');
  const stats = parseShowStat(csv);
  assert.deepEqual(stats.frontends[0].figures, { req_tot: 38, stot: 40, scur: 3, bin: 1000, bout: 5000, hrsp_2xx: 36, ereq: 2, dcon: 1 });
  assert.deepEqual(stats.backends[0].figures, { req_tot: 38, stot: 38, scur: 1, bin: 900, bout: 4800, hrsp_2xx: 36, econ: 1 });
  assert.deepEqual(stats.servers[0].figures, { stot: 38, scur: 1, bin: 900, bout: 4800, hrsp_2xx: 36, econ: 1, chkfail: 7 });
  assert.deepEqual(figuresOf('listener', () => ''), {});
});

test('a worker\'s first report counts all it served; the rise is added after; repeats and late reports add nothing', () => {
  assert.deepEqual(figuresIncrement({ req_tot: 10, scur: 4 }, {}), { increment: { req_tot: 10 }, stored: { req_tot: 10 } });
  assert.deepEqual(figuresIncrement({ req_tot: 15, hrsp_2xx: 3 }, { req_tot: 10 }), { increment: { req_tot: 5, hrsp_2xx: 3 }, stored: { req_tot: 15, hrsp_2xx: 3 } });
  assert.deepEqual(figuresIncrement({ req_tot: 15 }, { req_tot: 15 }).increment, {});
  assert.deepEqual(figuresIncrement({ req_tot: 12 }, { req_tot: 15 }), { increment: {}, stored: { req_tot: 15 } });
  assert.deepEqual(gaugesOf({ req_tot: 15 }), { scur: 0 }, 'a gauge left out is zero');
});

test('every figure names a known scope, and counter and gauge names cannot collide', () => {
  const names = new Set<string>();
  for (const f of PROXY_FIGURES) {
    assert.ok(f.scopes.length > 0, f.stat);
    for (const scope of f.scopes) names.add(`${scope}/${f.metric}/${JSON.stringify(f.labels ?? {})}`);
  }
  assert.equal(names.size, PROXY_FIGURES.reduce((n, f) => n + f.scopes.length, 0));
  assert.equal(new Set(PROXY_FIGURES.map((f) => f.stat)).size, PROXY_FIGURES.length);
});

const heartbeat = (proxies: Heartbeat['proxies'], epoch: string | null = '100.5'): Heartbeat => ({
  amphora_id: AMPHORA_A,
  seq: 1,
  ts: 1_780_000_000_000,
  haproxy: { running: true, epoch },
  proxies,
});

test('heartbeat rows map to the listener, pool and member they count; rows of nothing Fulcrum made are skipped', () => {
  const rows = reportedFigures(
    heartbeat([
      { p: LISTENER, s: 'FRONTEND', st: 'OPEN', m: { req_tot: 5 } },
      { p: `${POOL}:${LISTENER}`, s: 'BACKEND', st: 'UP' },
      { p: `${POOL}:${LISTENER}`, s: MEMBER, st: 'UP', m: { stot: 5 } },
      { p: 'stats', s: 'FRONTEND', st: 'OPEN', m: { req_tot: 1 } },
      { p: 'peers', s: 'BACKEND', st: 'UP' },
    ]),
    LB,
  );
  assert.deepEqual(
    rows.map((r) => [r.listener_id, r.pool_id, r.member_id, r.figures]),
    [
      [LISTENER, null, null, { req_tot: 5 }],
      [LISTENER, POOL, null, {}],
      [LISTENER, POOL, MEMBER, { stot: 5 }],
    ],
  );
  assert.deepEqual(reportedFigures(heartbeat([{ p: LISTENER, s: 'FRONTEND', st: 'OPEN' }], null), LB), [], 'no worker, no figures');
});

test('the heartbeat codec carries figures and refuses malformed ones', () => {
  const key = Buffer.alloc(32, 7);
  const good = heartbeat([{ p: LISTENER, s: 'FRONTEND', st: 'OPEN', m: { req_tot: 5, hrsp_2xx: 4 } }]);
  assert.deepEqual(decodeBody(parsePacket(encodeHeartbeat(good, 'k1', key)).body).proxies[0].m, { req_tot: 5, hrsp_2xx: 4 });
  for (const m of [{ req_tot: -1 }, { req_tot: 1.5 }, { 'Bad-Name': 1 }, [1, 2], Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}`, 1]))]) {
    const bad = heartbeat([{ p: LISTENER, s: 'FRONTEND', st: 'OPEN', m: m as never }]);
    assert.throws(() => decodeBody(parsePacket(encodeHeartbeat(bad, 'k1', key)).body), { name: 'Error', message: 'not a heartbeat' }, JSON.stringify(m).slice(0, 40));
  }
});

test('figures are summed over amphorae; every figure of a scope is exported', async () => {
  const row = (amphora: string, counters: Record<string, number>, gauges: Record<string, number>): FigureRow & { amphora: string } => ({
    amphora,
    load_balancer_id: LB,
    listener_id: LISTENER,
    pool_id: null,
    member_id: null,
    counters,
    gauges,
  });
  const rows = [row(AMPHORA_A, { req_tot: 30, hrsp_2xx: 29 }, { scur: 2 }), row(AMPHORA_B, { req_tot: 12, hrsp_5xx: 1 }, {})];
  const registry = new Registry();
  registerFigures(registry, aggregateFigures(rows));
  const text = await registry.metrics();
  const labels = `loadbalancer_id="${LB}",listener_id="${LISTENER}"`;
  assert.match(text, new RegExp(`^fulcrum_listener_requests_total\\{${labels}\\} 42$`, 'm'));
  assert.match(text, new RegExp(`^fulcrum_listener_responses_total\\{${labels},code="2xx"\\} 29$`, 'm'));
  assert.match(text, new RegExp(`^fulcrum_listener_responses_total\\{${labels},code="5xx"\\} 1$`, 'm'));
  assert.match(text, new RegExp(`^fulcrum_listener_responses_total\\{${labels},code="4xx"\\} 0$`, 'm'));
  assert.match(text, new RegExp(`^fulcrum_listener_active_connections\\{${labels}\\} 2$`, 'm'));
  assert.match(text, /^# TYPE fulcrum_listener_requests_total counter$/m);
  assert.match(text, /^# TYPE fulcrum_listener_active_connections gauge$/m);
  assert.doesNotMatch(text, /fulcrum_member_/, 'no member rows, no member series');
});

test('a heartbeat too large with its figures is sent without them; one small enough keeps them', () => {
  const key = Buffer.alloc(32, 9);
  // Random figures do not compress: thousands of members overflow one datagram.
  const servers = Array.from({ length: 3000 }, (_, i) => ({
    p: `${POOL}:${LISTENER}`,
    s: `m${i}`,
    st: 'UP',
    m: { stot: Math.floor(Math.random() * 1e9), bin: Math.floor(Math.random() * 1e12), bout: Math.floor(Math.random() * 1e12), hrsp_2xx: Math.floor(Math.random() * 1e9) },
  }));
  const big = encodeFitting(heartbeat(servers), 'k1', key);
  assert.equal(big.figuresShed, true);
  const opened = decodeBody(parsePacket(big.packet).body);
  assert.equal(opened.proxies.length, 3000, 'every row still goes: statuses decide operating status');
  assert.ok(opened.proxies.every((p) => p.m === undefined && p.st === 'UP'));
  const small = encodeFitting(heartbeat(servers.slice(0, 10)), 'k1', key);
  assert.equal(small.figuresShed, false);
  assert.deepEqual(decodeBody(parsePacket(small.packet).body).proxies[3].m, servers[3].m);
});

test('packets, which only the UDP/SCTP data plane counts, are exported where reported and never read from show stat', async () => {
  const L4_LISTENER = '55555555-5555-4555-8555-555555555555';
  const rows: FigureRow[] = [
    { load_balancer_id: LB, listener_id: L4_LISTENER, pool_id: null, member_id: null, counters: { stot: 9, bin: 900, pkts_in: 12, pkts_out: 11 }, gauges: { scur: 1 } },
    { load_balancer_id: LB, listener_id: LISTENER, pool_id: null, member_id: null, counters: { stot: 4 }, gauges: {} },
  ];
  const registry = new Registry();
  registerFigures(registry, aggregateFigures(rows));
  const text = await registry.metrics();
  assert.match(text, new RegExp(`^fulcrum_listener_packets_in_total\\{loadbalancer_id="${LB}",listener_id="${L4_LISTENER}"\\} 12$`, 'm'));
  assert.match(text, new RegExp(`^fulcrum_listener_packets_out_total\\{loadbalancer_id="${LB}",listener_id="${L4_LISTENER}"\\} 11$`, 'm'));
  assert.match(text, new RegExp(`^fulcrum_listener_connections_total\\{loadbalancer_id="${LB}",listener_id="${L4_LISTENER}"\\} 9$`, 'm'), 'flows under the connections name');
  assert.doesNotMatch(text, new RegExp(`packets_in_total\\{[^}]*listener_id="${LISTENER}"`), 'an HAProxy listener has no packet series');
  assert.deepEqual(figuresOf('listener', (stat) => (stat === 'pkts_in' ? '5' : '')), {}, 'no show stat column is read as packets');
});
