import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentEnvironment } from '../../src/compute/agent-env.ts';
import { agentPortPlan, DEFAULT_AGENT_PORT } from '../../src/compute/local-agent.ts';
import { localSubnetCandidates, pickLocalSubnet } from '../../src/cli/local-subnet.ts';
import { cidrsOverlap } from '../../src/model/cidr.ts';

test('the agent gets PATH, locale and its own settings, none of serve’s secrets', () => {
  const env = agentEnvironment(
    {
      PATH: '/usr/sbin:/usr/bin',
      LANG: 'C.UTF-8',
      LC_ALL: 'C',
      HOME: '/root',
      FULCRUM_SECRET_KEY: 'k',
      FULCRUM_KEYSTONE_PASSWORD: 'p',
      FULCRUM_DATABASE_URL: 'postgres://u:p@db/f',
      PGPASSWORD: 'x',
      NODE_OPTIONS: '--inspect',
      AWS_SECRET_ACCESS_KEY: 'y',
      FULCRUM_AGENT_LOG_LEVEL: 'debug',
      FULCRUM_AGENT_PORT: '1',
    },
    { FULCRUM_AGENT_PORT: '9443' },
  );
  assert.deepEqual(env, { PATH: '/usr/sbin:/usr/bin', LANG: 'C.UTF-8', LC_ALL: 'C', HOME: '/root', FULCRUM_AGENT_LOG_LEVEL: 'debug', FULCRUM_AGENT_PORT: '9443' });
});

test('agent port: configured, else recorded, else the default, which alone may move', () => {
  assert.deepEqual(agentPortPlan(7000, 8000), { port: 7000, mayMove: false });
  assert.deepEqual(agentPortPlan(null, 8000), { port: 8000, mayMove: false });
  assert.deepEqual(agentPortPlan(null, null), { port: DEFAULT_AGENT_PORT, mayMove: true });
});

test('each data dir gets its own loopback /16 for VIPs, skipping busy ones', () => {
  const a = localSubnetCandidates('/srv/a/.fulcrum');
  const b = localSubnetCandidates('/srv/b/.fulcrum');
  assert.equal(a.length, 190);
  assert.equal(new Set(a).size, 190);
  assert.ok(a.every((c) => /^127\.(\d+)\.0\.0\/16$/.test(c) && Number(c.split('.')[1]) >= 10 && Number(c.split('.')[1]) < 200));
  assert.deepEqual(localSubnetCandidates('/srv/a/.fulcrum'), a, 'stable for one path');
  assert.notEqual(a[0], b[0]);
  assert.equal(pickLocalSubnet('/srv/a/.fulcrum', new Set()), a[0]);
  const busy = new Set([Number(a[0].split('.')[1]), Number(a[1].split('.')[1])]);
  assert.equal(pickLocalSubnet('/srv/a/.fulcrum', busy), a[2]);
});

test('subnets overlap when one holds the other’s network address', () => {
  assert.ok(cidrsOverlap('10.0.0.0/16', '10.0.5.0/24'));
  assert.ok(cidrsOverlap('10.0.5.0/24', '10.0.0.0/16'));
  assert.ok(cidrsOverlap('10.0.0.0/24', '10.0.0.0/24'));
  assert.ok(!cidrsOverlap('10.0.0.0/24', '10.0.1.0/24'));
  assert.ok(!cidrsOverlap('10.0.0.0/24', '2001:db8::/64'));
  assert.ok(cidrsOverlap('2001:db8::/32', '2001:db8:1::/48'));
});
