// The operator's settings reach what an amphora is sent: FULCRUM_CONNECTION_LOGGING and
// FULCRUM_HAPROXY_LOG_TRANSPORT through renderAmphora (the function the amphora provider renders with).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderAmphora } from '../../src/providers/amphora/render-amphora.ts';
import { graph, listener, loadBalancer, member, pool } from '../helpers/graph-builder.ts';

const amphora = { id: '22222222-0000-4000-8000-000000000009', role: 'STANDALONE', run_dir: '/run/fulcrum/a', netns: null, agent_url: null, vrrp_interface: null, vrrp_ip: null, vrrp_priority: null, vrrp_id: null };

test('connection logging on by default; off renders no log in the frontend and keeps the admin log', () => {
  const p = pool({ members: [member()] });
  const l = listener({ default_pool_id: p.id });
  const g = graph(loadBalancer(), [l], [p]);
  const on = renderAmphora(g, amphora, []).haproxy;
  assert.match(on, new RegExp(`^    log-tag ${l.id}$`, 'm'));
  assert.doesNotMatch(on, /^ {4}no log$/m);
  const off = renderAmphora(g, amphora, [], { connectionLogging: false }).haproxy;
  assert.match(off, /^ {4}no log$/m);
  assert.doesNotMatch(off, /log-format|log-tag/);
  assert.match(off, /^ {4}log fd@3 len 4096 format rfc5424 local1 notice$/m);
  assert.match(off, /^defaults\n {4}log global$/m);
});

test('HAProxy logs to the inherited pipe by default, through the ring to the socket when the operator says ring', () => {
  const l = listener();
  const g = graph(loadBalancer(), [l], []);
  const pipe = renderAmphora(g, amphora, []).haproxy;
  assert.match(pipe, /^global\n(?: {4}.*\n)*? {4}log fd@3 len 4096 format rfc5424 local0 info\n {4}log fd@3 len 4096 format rfc5424 local1 notice$/m);
  assert.doesNotMatch(pipe, /ring|unix@/);
  const ring = renderAmphora(g, amphora, [], { logTransport: 'ring' }).haproxy;
  assert.match(ring, /^ {4}log ring@fulcrum_log len 8192 local0 info$/m);
  assert.match(ring, /^ring fulcrum_log\n(?: {4}.*\n)* {4}server agent unix@\/run\/fulcrum\/a\/log\.sock$/m);
  assert.doesNotMatch(ring, /fd@3/);
});
