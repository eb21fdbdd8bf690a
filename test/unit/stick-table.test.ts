// `show table` of a protection table → tracked sources and top offenders (src/agent/stick-table.ts),
// from the answer HAProxy 2.6 gives for the table src/amphora/render/haproxy-protection.ts renders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeReports, parseShowTable, topOffenders } from '../../src/agent/stick-table.ts';

const ANSWER = `# table: b1, type: ipv6, size:102400, used:4
0x55e1b1e6a488: key=::ffff:127.0.0.71 use=0 exp=59952 conn_rate(1000)=6 conn_cur=0 http_req_rate(1000)=6 gpc0=0 gpc1=0 gpc2=4
0x55e1b1e6a9f8: key=::ffff:127.0.0.72 use=0 exp=59981 conn_rate(1000)=1 conn_cur=0 http_req_rate(1000)=1 gpc0=0 gpc1=0 gpc2=0
0x55e1b1e6aa00: key=2001:db8::5 use=3 exp=59981 conn_rate(1000)=40 conn_cur=3 http_req_rate(1000)=2 gpc0=7 gpc1=2 gpc2=0
0x55e1b1e6ab00: key=::ffff:10.0.0.9 use=0 exp=1000 conn_rate(1000)=0 conn_cur=0 http_req_rate(1000)=0 gpc0=0 gpc1=0 gpc2=1

`;

test('entries: IPv4 without the mapped prefix, IPv6 as is, refusals by reason', () => {
  const sources = parseShowTable(ANSWER);
  assert.equal(sources.length, 4);
  assert.deepEqual(sources[0], { source: '127.0.0.71', conn_cur: 0, conn_rate: 6, http_req_rate: 6, refused: { concurrent_connections: 0, new_connections_rate: 0, requests_rate: 4 } });
  assert.equal(sources[2].source, '2001:db8::5');
  assert.deepEqual(sources[2].refused, { concurrent_connections: 7, new_connections_rate: 2, requests_rate: 0 });
});

test("a TCP listener's table has no request rate", () => {
  const [s] = parseShowTable('0x1: key=::ffff:1.2.3.4 use=0 exp=1 conn_rate(1000)=9 conn_cur=1 gpc0=2 gpc1=0 gpc2=0\n');
  assert.equal(s.http_req_rate, null);
  assert.equal(s.refused.concurrent_connections, 2);
});

test('top offenders: most refused first, never-refused sources left out, totals over every source', () => {
  const report = topOffenders(parseShowTable(ANSWER), 2);
  assert.deepEqual(report.top.map((s) => s.source), ['2001:db8::5', '127.0.0.71']);
  assert.equal(report.tracked, 4);
  assert.deepEqual(report.refused, { concurrent_connections: 7, new_connections_rate: 2, requests_rate: 5 });
  assert.deepEqual(topOffenders(parseShowTable('# table: b1, type: ipv6, size:102400, used:0\n\n'), 5), { tracked: 0, refused: { concurrent_connections: 0, new_connections_rate: 0, requests_rate: 0 }, top: [] });
});

test("two amphorae of a pair: one source's refusals add up", () => {
  const a = topOffenders(parseShowTable(ANSWER), 10);
  const merged = mergeReports([a, a], 10);
  assert.equal(merged.tracked, 8);
  assert.equal(merged.top.find((s) => s.source === '127.0.0.71')!.refused.requests_rate, 8);
  assert.deepEqual(merged.refused, { concurrent_connections: 14, new_connections_rate: 4, requests_rate: 10 });
});
