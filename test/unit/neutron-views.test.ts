// The Neutron v2.0 views of Fulcrum's networks and subnets: allocation pools, sharing, and
// Neutron's list filters and field selection.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NETWORK_FILTERS, SUBNET_FILTERS, allocationPools, filterAndProject, networkView, subnetView } from '../../src/api/neutron/views.ts';

const created = new Date('2026-01-01T00:00:00Z');
const shared = { id: 'n1', name: 'vip', project_id: null, created_at: created };
const owned = { id: 'n2', name: 'mine', project_id: 'p1', created_at: created };

describe('Neutron views', () => {
  test('allocation pools leave out network, broadcast and gateway addresses', () => {
    assert.deepEqual(allocationPools('10.0.0.0/24', '10.0.0.1'), [{ start: '10.0.0.2', end: '10.0.0.254' }]);
    assert.deepEqual(allocationPools('10.0.0.0/24', '10.0.0.100'), [
      { start: '10.0.0.1', end: '10.0.0.99' },
      { start: '10.0.0.101', end: '10.0.0.254' },
    ]);
    assert.deepEqual(allocationPools('10.0.0.0/24', null), [{ start: '10.0.0.1', end: '10.0.0.254' }]);
    assert.deepEqual(allocationPools('fd00::/64', 'fd00::1'), [{ start: 'fd00::2', end: 'fd00::ffff:ffff:ffff:ffff' }]);
  });

  test('a network without a project is shared; its subnets carry the network project', () => {
    const n = networkView(shared, ['s1']);
    assert.equal(n.shared, true);
    assert.deepEqual(n.subnets, ['s1']);
    assert.equal(networkView(owned, []).shared, false);
    assert.equal(networkView(owned, []).project_id, 'p1');
    const s = subnetView({ id: 's1', network_id: 'n2', name: 'sub', cidr: '192.0.2.0/28', ip_version: 4, gateway_ip: null, created_at: created }, owned);
    assert.equal(s.tenant_id, 'p1');
    assert.equal(s.cidr, '192.0.2.0/28');
    assert.deepEqual(s.allocation_pools, [{ start: '192.0.2.1', end: '192.0.2.14' }]);
  });

  test('filters: AND across attributes, OR within one, booleans by name', () => {
    const views = [networkView(shared, []), networkView(owned, [])];
    assert.deepEqual(filterAndProject(views, { name: 'mine' }, NETWORK_FILTERS).map((n) => n.id), ['n2']);
    assert.deepEqual(filterAndProject(views, { id: ['n1', 'n2'], shared: 'True' }, NETWORK_FILTERS).map((n) => n.id), ['n1']);
    assert.deepEqual(filterAndProject(views, { id: 'mine' }, NETWORK_FILTERS), []);
    assert.deepEqual(filterAndProject(views, { limit: '5', sort_key: 'name' }, NETWORK_FILTERS).length, 2);
  });

  test('fields keeps only the named attributes; an unknown filter is a 400', () => {
    const views = [networkView(owned, [])];
    assert.deepEqual(filterAndProject(views, { fields: ['id', 'name'] }, NETWORK_FILTERS), [{ id: 'n2', name: 'mine' }]);
    assert.throws(() => filterAndProject(views, { color: 'red' }, SUBNET_FILTERS), (e: any) => e.status === 400 && /\[color\]/.test(e.message));
  });
});
