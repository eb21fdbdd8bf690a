// UDP/SCTP statistics: nftables counters named by the ruleset's comments, conntrack's live
// flows, and the carrying over of counts across replaced tables and HAProxy epochs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConntrackFlows, parseNftCounters, subtractCounters, sumCounters } from '../../src/agent/l4-counters.ts';

const rule = (comment: string, packets: number, bytes: number) => ({ rule: { family: 'inet', table: 'fulcrum_l4', comment, expr: [{ match: {} }, { counter: { packets, bytes } }] } });
const table = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6' } },
    { table: { family: 'inet', name: 'fulcrum_l4' } },
    rule('member L1 M1 new', 4, 400),
    rule('member L1 M1 in', 10, 1000),
    rule('member L1 M1 out', 9, 900),
    rule('member L1 M2 in', 5, 500),
    rule('member L1 M2 new', 3, 300),
    rule('member L1 M2 out', 0, 0),
    { rule: { comment: 'no counter here', expr: [] } },
  ],
});

test('nft counters become flows and traffic per listener and member', () => {
  const c = parseNftCounters(table);
  assert.deepEqual(c.listeners.get('L1'), { packetsIn: 15, bytesIn: 1500, packetsOut: 9, bytesOut: 900, flows: 7 });
  assert.deepEqual(c.members.get('L1 M2'), { packetsIn: 5, bytesIn: 500, packetsOut: 0, bytesOut: 0, flows: 3 });
  assert.equal(c.members.size, 2);
});

test('a replaced table carries its counts over; an epoch reports from its own start', () => {
  const first = parseNftCounters(table);
  const carried = sumCounters(first, parseNftCounters(table));
  assert.equal(carried.listeners.get('L1')?.bytesIn, 3000);
  const since = subtractCounters(carried, first);
  assert.equal(since.listeners.get('L1')?.bytesIn, 1500);
  assert.equal(subtractCounters(first, carried).listeners.get('L1')?.flows, 0, 'never below zero');
});

test('conntrack lines count live flows by original destination and by the member that answers', () => {
  const text = [
    'udp      17 29 src=10.0.0.1 dst=10.0.0.10 sport=40000 dport=53 [UNREPLIED] src=10.0.1.1 dst=10.0.0.20 sport=53 dport=40000 mark=0 use=1',
    'udp      17 110 src=10.0.0.1 dst=10.0.0.10 sport=40001 dport=53 src=10.0.1.2 dst=10.0.0.20 sport=53 dport=40001 [ASSURED] mark=0 use=1',
    'sctp     132 3 ESTABLISHED src=10.0.0.1 dst=10.0.0.10 sport=5000 dport=3868 src=10.0.1.1 dst=10.0.0.20 sport=3868 dport=5000 [ASSURED] mark=0 use=1',
    'tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.10 sport=5000 dport=53 src=10.0.1.1 dst=10.0.0.1 sport=53 dport=5000 [ASSURED] mark=0 use=1',
  ].join('\n');
  const flows = parseConntrackFlows(text);
  assert.deepEqual([...flows.listeners], [['10.0.0.10 53', 2], ['10.0.0.10 3868', 1]]);
  assert.deepEqual([...flows.members], [['10.0.0.10 53 10.0.1.1 53', 1], ['10.0.0.10 53 10.0.1.2 53', 1], ['10.0.0.10 3868 10.0.1.1 3868', 1]]);
});
