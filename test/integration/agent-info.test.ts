// GET /1.0/info and the per-amphora read endpoints: what the agent reports about itself, the
// amphorae it manages, their registration (idempotent, with a namespace), and the addresses
// an amphora sees, read with `ip -j addr` in its namespace.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { AgentRequestFailed, type AgentClient } from '../../src/amphora/agent-client.ts';
import { Cleanup, startTestAgent } from './agent-harness.ts';

const cleanup = new Cleanup();
let baseDir: string;
let client: AgentClient;

before(async () => {
  ({ baseDir, client } = await startTestAgent(cleanup, 'info'));
});

after(() => cleanup.run());

test('info names the versions, host, base directory and amphorae', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const info = await client.info();
  assert.deepEqual(info, {
    agent_version: pkg.version,
    haproxy_version: info.haproxy_version,
    hostname: hostname(),
    base_dir: baseDir,
    amphorae: [],
    supervision: { totals: { exited: 0, restarted: 0, restart_failed: 0, gave_up: 0 }, last_seq: 0, events: [] },
  });
  assert.match(info.haproxy_version, /^2\.6\.\d+/);

  await client.registerAmphora('amp-b');
  await client.registerAmphora('amp-a');
  assert.deepEqual((await client.info()).amphorae, ['amp-a', 'amp-b']);
});

test('registration is idempotent, keeps its namespace, and validates names', async () => {
  const first = await client.registerAmphora('amp-ns', { netns: 'fulcrum-amp-ns' });
  assert.deepEqual(first, { amphora_id: 'amp-ns', netns: 'fulcrum-amp-ns', run_dir: `${baseDir}/amp-ns` });
  assert.deepEqual(await client.registerAmphora('amp-ns', { netns: 'fulcrum-amp-ns' }), first);
  assert.ok(existsSync(`${baseDir}/amp-ns`));
  const status = await client.amphoraStatus('amp-ns');
  assert.deepEqual(status, {
    id: 'amp-ns',
    netns: 'fulcrum-amp-ns',
    run_dir: `${baseDir}/amp-ns`,
    haproxy: { running: false, master_pid: null, workers: [], uptime_s: null, config_sha256: null },
    keepalived: { running: false, pid: null, vrrp_state: null },
    fault: true,
    fault_requested: false,
    supervision: {
      haproxy: { wanted: false, state: 'idle', restarts: 0, recent_crashes: 0 },
      keepalived: { wanted: false, state: 'idle', restarts: 0, recent_crashes: 0 },
      events: [],
    },
  });

  for (const bad of ['../etc', '-rf', 'a/b']) {
    const err = await client.registerAmphora('amp-bad', { netns: bad }).catch((e: unknown) => e);
    assert.ok(err instanceof AgentRequestFailed && err.agentStatus === 400, `netns ${bad}: ${err}`);
  }
  const badId = await client.registerAmphora('.hidden').catch((e: unknown) => e);
  assert.ok(badId instanceof AgentRequestFailed && badId.agentStatus === 400);
});

test('interfaces: the host addresses without a namespace, the namespace’s otherwise', async () => {
  await client.registerAmphora('amp-host');
  const interfaces = await client.interfaces('amp-host');
  const lo = interfaces.find((i) => i.name === 'lo');
  assert.ok(lo, JSON.stringify(interfaces));
  assert.ok(lo.addresses.some((a) => a.family === 'inet' && a.address === '127.0.0.1' && a.prefixlen === 8));

  // The namespace is not created here (that is the netns compute driver's job): asking for it
  // proves the agent looked inside it rather than at the host.
  await client.registerAmphora('amp-nowhere', { netns: `fulcrum-absent-${process.pid}` });
  const err = await client.interfaces('amp-nowhere').catch((e: unknown) => e);
  assert.ok(err instanceof AgentRequestFailed, String(err));
  assert.equal(err.agentStatus, 500);
  assert.match(err.message, /Cannot open network namespace "fulcrum-absent-\d+"/);
});
