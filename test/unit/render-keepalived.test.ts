// keepalived.conf rendering for ACTIVE_STANDBY amphorae: golden files (UPDATE_GOLDEN=1 to
// regenerate) and the checks on the VRRP context.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderKeepalivedConfig, vrrpInstanceName } from '../../src/amphora/render/keepalived-config.ts';
import type { VrrpContext } from '../../src/amphora/render/context.ts';
import { amphoraContext, graph, keepalivedCases, loadBalancer, matchGolden, vrrpContext } from '../helpers/graph-builder.ts';

describe('golden configs', () => {
  for (const c of keepalivedCases()) {
    test(`${c.name}: ${c.covers}`, () => matchGolden(`${c.name}.keepalived.conf`, renderKeepalivedConfig(c.graph, c.ctx())));
  }
});

const lbGraph = graph(loadBalancer({ id: '7d3c2f4e-1a2b-4c5d-8e9f-0a1b2c3d4e5f', topology: 'ACTIVE_STANDBY' }), [], []);
const render = (vrrp: Partial<VrrpContext> = {}) => renderKeepalivedConfig(lbGraph, amphoraContext({ topology: 'ACTIVE_STANDBY', vrrp: vrrpContext(undefined, vrrp) }));

test('both amphorae start as BACKUP without preemption; the role only sets the priority', () => {
  for (const [role, priority] of [['MASTER', 100], ['BACKUP', 90]] as const) {
    const config = render({ role });
    assert.match(config, /\n {4}state BACKUP\n/);
    assert.match(config, /\n {4}nopreempt\n/);
    assert.match(config, new RegExp(`\\n {4}priority ${priority}\\n`));
  }
});

test('advert_int defaults to 0.1 s and follows the context', () => {
  assert.match(render(), /\n {4}advert_int 0\.1\n/);
  assert.match(render({ advertIntSeconds: 1 }), /\n {4}advert_int 1\n/);
});

test('the instance is named from the load balancer id within 15 characters', () => {
  assert.equal(vrrpInstanceName('7d3c2f4e-1a2b-4c5d-8e9f-0a1b2c3d4e5f'), 'lb7d3c2f4e1a2b4');
  assert.match(render(), /\nvrrp_instance lb7d3c2f4e1a2b4 \{\n/);
});

test('HAProxy health comes from the agent-written track file', () => {
  const config = render({ trackFile: '/run/amp/serving' });
  assert.match(config, /vrrp_track_file haproxy_serving \{\n {4}file "\/run\/amp\/serving"\n {4}weight 0\n/);
  assert.match(config, /track_file \{\n {8}haproxy_serving\n {4}\}/);
});

test('keepalived also checks HAProxy itself every second, the fallback when no agent writes the track file', () => {
  const config = render({ haproxyCheckScript: '/run/amp/haproxy-alive.sh', haproxyPidFile: '/run/amp/haproxy.pid' });
  assert.match(config, /\nvrrp_script haproxy_alive \{\n {4}script "\/run\/amp\/haproxy-alive\.sh \/run\/amp\/haproxy\.pid"\n {4}interval 1\n {4}weight 0\n {4}fall 2\n {4}rise 1\n\}\n/);
  assert.match(config, /track_script \{\n {8}haproxy_alive\n {4}\}/);
});

test('only ACTIVE_STANDBY amphorae with a consistent VRRP context get a keepalived config', () => {
  const configError = { name: 'LB_ERR_CONFIG', status: 500 } as never;
  assert.throws(() => renderKeepalivedConfig(lbGraph, amphoraContext()), configError);
  const bad: Partial<VrrpContext>[] = [
    { interface: 'an-interface-name-too-long' },
    { interface: 'eth0\n}' },
    { virtualRouterId: 256 },
    { advertIntSeconds: 0.001 },
    { peerIps: [] },
    { peerIps: ['2001:db8::2'] },
    { sourceIp: '2001:db8::1', peerIps: ['2001:db8::2'] },
    { trackFile: '/run/x"y' },
    { notifyScript: 'relative/script' },
    { haproxyCheckScript: '/run/check "x"' },
    { haproxyPidFile: '/run/haproxy.pid /etc/shadow' },
    { scriptUser: 'root\nscript_user evil' },
    { garp: { masterRefreshRepeat: 0 } },
  ];
  for (const vrrp of bad) assert.throws(() => render(vrrp), configError, JSON.stringify(vrrp));
});

test('a priority given in the context replaces the role\'s, within 1-254; the role is not in the file', () => {
  const text = render({ role: 'BACKUP', priority: 80 });
  assert.match(text, /\n {4}priority 80\n/);
  assert.equal(render({ role: 'BACKUP', priority: 80 }), render({ role: 'MASTER', priority: 80 }), 'a role change alone must not change the file');
  const configError = { name: 'LB_ERR_CONFIG', status: 500 } as never;
  for (const priority of [0, 255, 1.5]) assert.throws(() => render({ priority }), configError, String(priority));
});
