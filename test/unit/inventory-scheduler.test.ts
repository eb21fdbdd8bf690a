// The device scheduler's rules, one by one: admin state, liveness, availability zone,
// capacity, labels, exclusion, least loaded first, anti-affinity of a pair (and its fault),
// and an operator's target.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseHost, qualifies, refusal, type HostCandidate, type Placement, type PlacementRequest } from '../../src/inventory/scheduler.ts';

function host(name: string, extra: Partial<HostCandidate> = {}): HostCandidate {
  return { id: `id-${name}`, name, availabilityZone: null, adminState: 'ENABLED', operatingStatus: 'ONLINE', capacity: null, labels: {}, amphoraCount: 0, ...extra };
}

function chosen(p: Placement): string {
  assert.ok('host' in p, `expected a host, got the fault ${'fault' in p ? p.fault : ''}`);
  return p.host.name;
}

function fault(p: Placement): string {
  assert.ok('fault' in p, `expected a fault, got host ${'host' in p ? p.host.name : ''}`);
  return p.fault;
}

const ANY = { availabilityZone: null };

test('the least loaded host is chosen', () => {
  assert.equal(chosen(chooseHost([host('a', { amphoraCount: 3 }), host('b', { amphoraCount: 1 }), host('c', { amphoraCount: 2 })], ANY)), 'b');
});

test('among equally loaded hosts, the one with most room left wins; no capacity is unlimited room', () => {
  const hosts = [host('a-small', { amphoraCount: 2, capacity: 3 }), host('b-big', { amphoraCount: 2, capacity: 10 })];
  assert.equal(chosen(chooseHost(hosts, ANY)), 'b-big');
  assert.equal(chosen(chooseHost([...hosts, host('c-unlimited', { amphoraCount: 2 })], ANY)), 'c-unlimited');
  assert.equal(chosen(chooseHost([...hosts, host('d-idle', { amphoraCount: 0, capacity: 1 })], ANY)), 'd-idle');
});

test('equal hosts are taken in name order, so placement is stable', () => {
  assert.equal(chosen(chooseHost([host('b'), host('a')], ANY)), 'a');
});

test('DISABLED and DRAINING hosts take no amphora', () => {
  const hosts = [host('off', { adminState: 'DISABLED' }), host('drain', { adminState: 'DRAINING' }), host('on', { amphoraCount: 50 })];
  assert.equal(chosen(chooseHost(hosts, ANY)), 'on');
  assert.match(fault(chooseHost(hosts.slice(0, 2), ANY)), /off: its admin_state is DISABLED; drain: its admin_state is DRAINING/);
});

test('an OFFLINE host takes no amphora', () => {
  assert.equal(chosen(chooseHost([host('dead', { operatingStatus: 'OFFLINE' }), host('live', { amphoraCount: 9 })], ANY)), 'live');
});

test('the load balancer availability zone picks hosts of that zone only', () => {
  const hosts = [host('a', { availabilityZone: 'az1', amphoraCount: 5 }), host('b', { availabilityZone: 'az2' }), host('c')];
  assert.equal(chosen(chooseHost(hosts, { availabilityZone: 'az1' })), 'a');
  assert.match(fault(chooseHost(hosts, { availabilityZone: 'az3' })), /not az3/);
  assert.equal(chosen(chooseHost(hosts, ANY)), 'b');
});

test('a full host takes no more amphorae', () => {
  const hosts = [host('full', { capacity: 2, amphoraCount: 2 }), host('free', { capacity: 100, amphoraCount: 90 })];
  assert.equal(chosen(chooseHost(hosts, ANY)), 'free');
  assert.match(fault(chooseHost([hosts[0]], ANY)), /full \(2 of 2 amphorae\)/);
});

test('every requested label must be carried with its value', () => {
  const hosts = [host('a', { labels: { disk: 'ssd' } }), host('b', { labels: { disk: 'ssd', nic: '25g' }, amphoraCount: 4 }), host('c', { labels: { disk: 'hdd', nic: '25g' } })];
  assert.equal(chosen(chooseHost(hosts, { availabilityZone: null, labels: { disk: 'ssd', nic: '25g' } })), 'b');
  assert.match(fault(chooseHost(hosts, { availabilityZone: null, labels: { gpu: 'yes' } })), /lacks the label gpu=yes/);
});

test('excluded hosts are left even when least loaded', () => {
  assert.equal(chosen(chooseHost([host('old'), host('new', { amphoraCount: 7 })], { availabilityZone: null, exclude: ['id-old'] })), 'new');
});

test('the two amphorae of a pair go to different hosts, even when that host is busier', () => {
  const hosts = [host('a'), host('b', { amphoraCount: 10 })];
  assert.equal(chosen(chooseHost(hosts, { availabilityZone: null, antiAffinity: ['id-a'] })), 'b');
});

test('anti-affinity that cannot be honoured fails with a fault saying so', () => {
  const hosts = [host('a'), host('b', { adminState: 'DISABLED' })];
  const why = fault(chooseHost(hosts, { availabilityZone: null, antiAffinity: ['id-a'] }));
  assert.match(why, /anti-affinity cannot be honoured/);
  assert.match(why, /\(a\)/);
});

test('an operator target is taken when it qualifies, refused with its reason otherwise', () => {
  const hosts = [host('a'), host('b', { amphoraCount: 10 }), host('c', { operatingStatus: 'OFFLINE' })];
  assert.equal(chosen(chooseHost(hosts, { availabilityZone: null, target: 'id-b' })), 'b');
  assert.match(fault(chooseHost(hosts, { availabilityZone: null, target: 'id-c' })), /host c .* it is OFFLINE/);
  assert.match(fault(chooseHost(hosts, { availabilityZone: null, target: 'id-x' })), /not in the inventory/);
  assert.match(fault(chooseHost(hosts, { availabilityZone: null, target: 'id-a', antiAffinity: ['id-a'] })), /anti-affinity/);
});

test('an empty inventory is a fault, not a crash', () => {
  assert.match(fault(chooseHost([], ANY)), /no host is registered/);
});

test('a failover replacement prefers another host than the one it replaces, but takes it when it is the only one', () => {
  const hosts = [host('old'), host('other', { amphoraCount: 20 })];
  assert.equal(chosen(chooseHost(hosts, { availabilityZone: null, avoid: ['id-old'] })), 'other');
  assert.equal(chosen(chooseHost([hosts[0]], { availabilityZone: null, avoid: ['id-old'] })), 'old');
});

test('the fast check and the reasons agree on every rule', () => {
  const hosts = [
    host('ok'),
    host('off', { adminState: 'DISABLED' }),
    host('dead', { operatingStatus: 'OFFLINE' }),
    host('az2', { availabilityZone: 'az2' }),
    host('full', { capacity: 1, amphoraCount: 1 }),
    host('ssd', { labels: { disk: 'ssd' } }),
  ];
  const requests: PlacementRequest[] = [ANY, { availabilityZone: 'az2' }, { availabilityZone: null, labels: { disk: 'ssd' } }, { availabilityZone: null, exclude: ['id-ok'] }];
  for (const r of requests) for (const h of hosts) assert.equal(qualifies(h, r), refusal(h, r) === null, `${h.name} ${JSON.stringify(r)}`);
});

test('a fault that an OFFLINE host coming back would mend is transient; others are not', () => {
  const only = chooseHost([host('restarting', { operatingStatus: 'OFFLINE' })], ANY);
  assert.ok('fault' in only && only.transient === true);
  const disabled = chooseHost([host('off', { adminState: 'DISABLED', operatingStatus: 'OFFLINE' })], ANY);
  assert.ok('fault' in disabled && disabled.transient === false);
  const pair = chooseHost([host('a'), host('b', { operatingStatus: 'OFFLINE' })], { availabilityZone: null, antiAffinity: ['id-a'] });
  assert.ok('fault' in pair && pair.transient === true);
  const lonely = chooseHost([host('a'), host('b', { adminState: 'DISABLED' })], { availabilityZone: null, antiAffinity: ['id-a'] });
  assert.ok('fault' in lonely && lonely.transient === false);
});
