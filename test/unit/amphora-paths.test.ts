// The paths the controller renders into haproxy.cfg are the ones the agent uses: a mismatch
// would silently lose server state across reloads (the agent dumps it to its own path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amphoraLayout, HAPROXY_LOG_FD } from '../../src/agent/layout.ts';
import { renderContext } from '../../src/providers/amphora/render-context.ts';
import { statsSocketPath } from '../../src/amphora/render/amphora-files.ts';
import type { LbGraph } from '../../src/model/lb-graph.ts';

test('rendered state file and stats socket match the agent layout', () => {
  const layout = amphoraLayout('/var/lib/fulcrum/run', 'amp-1');
  const graph = { loadBalancer: { vip_address: '127.10.0.1', additional_vips: [] } } as unknown as LbGraph;
  const ctx = renderContext(graph, { id: 'amp-1', role: 'STANDALONE', run_dir: layout.runDir, netns: null, agent_url: null, vrrp_interface: null, vrrp_ip: null, vrrp_id: null, vrrp_priority: null });
  assert.equal(ctx.paths.serverStateFile, layout.serverState);
  assert.equal(statsSocketPath(ctx.paths), layout.statsSocket);
  // The descriptor the agent passes its log pipe as is the one haproxy.cfg logs to.
  assert.deepEqual(ctx.log, { kind: 'agent-pipe', fd: HAPROXY_LOG_FD });
  const ring = renderContext(graph, { id: 'amp-1', role: 'STANDALONE', run_dir: layout.runDir, netns: null, agent_url: null, vrrp_interface: null, vrrp_ip: null, vrrp_id: null, vrrp_priority: null }, [], undefined, 'ring');
  assert.equal(ring.log.kind === 'agent' && ring.log.socket, layout.logSocket);
});

test('the files keepalived.conf names for a pair are the ones the agent writes, installs and starts HAProxy with', () => {
  const layout = amphoraLayout('/var/lib/fulcrum/run', 'amp-1');
  const graph = { loadBalancer: { vip_address: '10.0.0.10', additional_vips: [], topology: 'ACTIVE_STANDBY' } } as unknown as LbGraph;
  const vrrp = { vrrp_interface: 'eth0', vrrp_id: 1, vrrp_priority: null, netns: null, agent_url: null };
  const me = { id: 'amp-1', role: 'MASTER', run_dir: layout.runDir, vrrp_ip: '10.0.0.2', ...vrrp };
  const peer = { id: 'amp-2', role: 'BACKUP', run_dir: '/elsewhere', vrrp_ip: '10.0.0.3', ...vrrp };
  const ctx = renderContext(graph, me, [peer]).vrrp!;
  assert.deepEqual(
    [ctx.trackFile, ctx.notifyScript, ctx.haproxyCheckScript, ctx.haproxyPidFile],
    [layout.trackFile, layout.notifyScript, layout.haproxyCheckScript, layout.haproxyPid],
  );
});
