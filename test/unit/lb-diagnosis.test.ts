// The verdicts of a load balancer diagnosis from gathered facts: a healthy pair passes every
// check; each broken link (host, agent, haproxy, configuration drift, silent heartbeat, down
// server, VRRP) fails its own check, skips what depends on it, and is where `broken_at` points.
// Also haproxy's uptime as `show proc` reports it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose, type AmphoraFacts, type DiagnosisInput } from '../../src/providers/amphora/lb-diagnosis.ts';
import { parseShowProc } from '../../src/agent/master-cli.ts';
import type { AmphoraStatus } from '../../src/agent/amphora.ts';

const NOW = new Date('2026-12-06T03:00:00Z');
const SHA = 'a'.repeat(64);

function status(over: { running?: boolean; sha?: string | null; vrrp?: string | null; keepalived?: boolean } = {}): AmphoraStatus {
  const idle = { state: 'idle' as const, restarts: 0, recent_crashes: 0 };
  return {
    id: 'x',
    netns: null,
    run_dir: '/run/x',
    haproxy: { running: over.running ?? true, master_pid: 4242, workers: [4243], uptime_s: 75, config_sha256: over.sha === undefined ? SHA : over.sha },
    keepalived: { running: over.keepalived ?? true, pid: 99, vrrp_state: over.vrrp === undefined ? 'MASTER' : over.vrrp },
    fault: false,
    fault_requested: false,
    supervision: { haproxy: { wanted: true, ...idle }, keepalived: { wanted: true, ...idle }, events: [] },
  };
}

function amphora(id: string, over: Partial<AmphoraFacts> = {}): AmphoraFacts {
  return {
    id,
    role: 'MASTER',
    status: 'ALLOCATED',
    compute_driver: 'process',
    compute_id: `pid-${id}`,
    agent_url: 'https://127.0.0.1:9443',
    fault: null,
    host_id: 'host-1',
    host: { name: 'h1', admin_state: 'ENABLED', operating_status: 'ONLINE', lastSeenAt: new Date(NOW.getTime() - 300) },
    pushedConfigSha256: SHA,
    heartbeat: { lastSeen: new Date(NOW.getTime() - 500), haproxyRunning: true, fault: null },
    heartbeatsExpected: true,
    probe: {
      reachable: true,
      elapsedMs: 4,
      status: status(),
      servers: [
        { proxy: 'pool-1', server: 'BACKEND', status: 'UP' },
        { proxy: 'pool-1', server: 'member-1', status: 'UP' },
      ],
      serversError: null,
    },
    ...over,
  };
}

function pair(master: Partial<AmphoraFacts> = {}, backup: Partial<AmphoraFacts> = {}): DiagnosisInput {
  const backupProbe = { reachable: true as const, elapsedMs: 3, status: status({ vrrp: 'BACKUP' }), servers: [], serversError: null };
  return {
    lb: { id: 'lb-1', provisioning_status: 'ACTIVE', operating_status: 'ONLINE', topology: 'ACTIVE_STANDBY' },
    jobs: [{ id: '7', kind: 'provider-operation', state: 'succeeded', last_error: null }],
    amphorae: [amphora('m', master), amphora('b', { role: 'BACKUP', probe: backupProbe, ...backup })],
    now: NOW,
    heartbeatTimeoutMs: 3000,
  };
}

function check(d: ReturnType<typeof diagnose>, amphoraId: string, name: string) {
  const c = d.amphorae.find((a) => a.id === amphoraId)?.checks.find((x) => x.name === name);
  assert.ok(c, `${amphoraId} has a ${name} check`);
  return c;
}

test('a healthy ACTIVE_STANDBY pair passes every check and is broken nowhere', () => {
  const d = diagnose(pair());
  assert.equal(d.broken_at, null);
  for (const c of [...d.loadbalancer, ...d.amphorae.flatMap((a) => a.checks)]) assert.equal(c.status, 'ok', `${c.name}: ${c.detail}`);
  assert.match(check(d, 'm', 'haproxy').detail, /pid 4242, up 75 s, 1 worker/);
  assert.match(check(d, 'm', 'vrrp').detail, /MASTER/);
});

test('a SINGLE load balancer skips the VRRP checks', () => {
  const input = pair();
  input.lb.topology = 'SINGLE';
  input.amphorae = [amphora('s', { role: 'STANDALONE' })];
  const d = diagnose(input);
  assert.equal(d.broken_at, null);
  assert.equal(check(d, 's', 'vrrp').status, 'skipped');
  assert.equal(d.loadbalancer.find((c) => c.name === 'vrrp_pair')?.status, 'skipped');
});

test('an agent that does not answer fails the agent check and skips what only it can tell', () => {
  const d = diagnose(pair({ probe: { reachable: false, error: 'amphora m is unreachable at https://127.0.0.1:9443 (ECONNREFUSED)' } }));
  assert.equal(d.broken_at, 'amphora:m:agent');
  assert.match(check(d, 'm', 'agent').detail, /ECONNREFUSED/);
  for (const name of ['haproxy', 'config', 'servers', 'vrrp']) assert.equal(check(d, 'm', name).status, 'skipped', name);
  assert.equal(check(d, 'm', 'heartbeat').status, 'ok', 'the heartbeat is judged from the database, not the agent');
});

test('an OFFLINE host fails the host check before the agent check, naming the host', () => {
  const gone = { name: 'h1', admin_state: 'ENABLED', operating_status: 'OFFLINE', lastSeenAt: new Date(NOW.getTime() - 4200) };
  const d = diagnose(pair({ host: gone, probe: { reachable: false, error: 'amphora m is unreachable at https://127.0.0.1:9443 (ECONNREFUSED)' } }));
  assert.equal(d.broken_at, 'amphora:m:host');
  assert.equal(check(d, 'm', 'host').detail, 'h1 (host-1), ENABLED, OFFLINE: its agent last reached 4200 ms ago (timeout 3000 ms)');
  assert.equal(check(d, 'm', 'agent').status, 'failed', 'the agent check still says what it saw');
  const names = d.amphorae[0].checks.map((c) => c.name);
  assert.ok(names.indexOf('host') < names.indexOf('agent'), names.join(','));
});

test('the host check: healthy with its admin state, stale while ONLINE, gone from the inventory, or none recorded', () => {
  const draining = diagnose(pair({ host: { name: 'h1', admin_state: 'DRAINING', operating_status: 'ONLINE', lastSeenAt: new Date(NOW.getTime() - 300) } }));
  assert.equal(draining.broken_at, null, 'a DRAINING host still serves');
  assert.equal(check(draining, 'm', 'host').detail, 'h1 (host-1), DRAINING, ONLINE, its agent last reached 300 ms ago');
  const stale = diagnose(pair({ host: { name: 'h1', admin_state: 'ENABLED', operating_status: 'ONLINE', lastSeenAt: new Date(NOW.getTime() - 3001) } }));
  assert.equal(stale.broken_at, 'amphora:m:host');
  assert.match(check(stale, 'm', 'host').detail, /ONLINE as last judged, but its agent last reached 3001 ms ago \(timeout 3000 ms\): silent, or no health manager watches it$/);
  const never = diagnose(pair({ host: { name: 'h1', admin_state: 'ENABLED', operating_status: 'ONLINE', lastSeenAt: null } }));
  assert.match(check(never, 'm', 'host').detail, /its agent was never reached/);
  const missing = diagnose(pair({ host: null }));
  assert.equal(missing.broken_at, 'amphora:m:host');
  assert.equal(check(missing, 'm', 'host').detail, 'host host-1 is not in the inventory');
  const unplaced = diagnose(pair({ host_id: null, host: null, compute_driver: 'netns' }));
  assert.equal(unplaced.broken_at, null);
  assert.equal(check(unplaced, 'm', 'host').status, 'skipped');
  assert.match(check(unplaced, 'm', 'host').detail, /netns compute driver places amphorae itself/);
});

test('haproxy not running fails the haproxy check, and its servers are not judged', () => {
  const d = diagnose(pair({ probe: { reachable: true, elapsedMs: 2, status: status({ running: false }), servers: null, serversError: 'haproxy is not running' } }));
  assert.equal(d.broken_at, 'amphora:m:haproxy');
  assert.match(check(d, 'm', 'haproxy').detail, /not running/);
  assert.equal(check(d, 'm', 'servers').status, 'skipped');
});

test('a running configuration other than the pushed one is drift', () => {
  const other = 'b'.repeat(64);
  const d = diagnose(pair({ probe: { reachable: true, elapsedMs: 2, status: status({ sha: other }), servers: [], serversError: null } }));
  assert.equal(d.broken_at, 'amphora:m:config');
  assert.match(check(d, 'm', 'config').detail, new RegExp(`running sha256 ${other}, pushed sha256 ${SHA}`));
});

test('no pushed checksum recorded: the configuration is not judged', () => {
  const d = diagnose(pair({ pushedConfigSha256: null }));
  assert.equal(check(d, 'm', 'config').status, 'skipped');
  assert.equal(d.broken_at, null);
});

test('a DOWN server fails the servers check and names it; MAINT does not', () => {
  const servers = [
    { proxy: 'pool-1', server: 'member-1', status: 'DOWN' },
    { proxy: 'pool-1', server: 'member-2', status: 'MAINT' },
    { proxy: 'pool-1', server: 'member-3', status: 'UP' },
  ];
  const d = diagnose(pair({ probe: { reachable: true, elapsedMs: 2, status: status(), servers, serversError: null } }));
  assert.equal(d.broken_at, 'amphora:m:servers');
  assert.match(check(d, 'm', 'servers').detail, /down: pool-1\/member-1$/);
});

test('a heartbeat older than the timeout, or none, fails; the noop driver sends none and is skipped', () => {
  assert.equal(diagnose(pair({ heartbeat: { lastSeen: new Date(NOW.getTime() - 3001), haproxyRunning: true, fault: null } })).broken_at, 'amphora:m:heartbeat');
  assert.equal(diagnose(pair({ heartbeat: null })).broken_at, 'amphora:m:heartbeat');
  assert.equal(check(diagnose(pair({ heartbeat: null, heartbeatsExpected: false })), 'm', 'heartbeat').status, 'skipped');
});

test('a pair with no MASTER, or two, fails the pair check, after every amphora check', () => {
  const twoBackups = diagnose(pair({ probe: { reachable: true, elapsedMs: 2, status: status({ vrrp: 'BACKUP' }), servers: [], serversError: null } }));
  assert.equal(twoBackups.broken_at, 'loadbalancer:vrrp_pair');
  const split = diagnose(pair({}, { probe: { reachable: true, elapsedMs: 2, status: status({ vrrp: 'MASTER' }), servers: [], serversError: null } }));
  assert.match(split.loadbalancer.find((c) => c.name === 'vrrp_pair')!.detail, /split brain/);
  const agentDown = diagnose(pair({ probe: { reachable: false, error: 'timeout' } }, { probe: { reachable: true, elapsedMs: 2, status: status({ vrrp: 'BACKUP' }), servers: [], serversError: null } }));
  assert.equal(agentDown.broken_at, 'amphora:m:agent', "the amphora's own broken link is named before the pair's");
});

test('keepalived in FAULT fails the amphora VRRP check', () => {
  const d = diagnose(pair({}, { probe: { reachable: true, elapsedMs: 2, status: status({ vrrp: 'FAULT' }), servers: [], serversError: null } }));
  assert.equal(check(d, 'b', 'vrrp').status, 'failed');
});

test('an LB in ERROR, a failed last job, a missing amphora: the load balancer checks fail first', () => {
  const input = pair();
  input.lb.provisioning_status = 'ERROR';
  input.jobs = [{ id: '9', kind: 'provider-operation', state: 'failed', last_error: 'agent refused the configuration' }, ...input.jobs];
  input.amphorae = input.amphorae.slice(0, 1);
  const d = diagnose(input);
  assert.equal(d.broken_at, 'loadbalancer:provisioning');
  assert.match(d.loadbalancer.find((c) => c.name === 'last_job')!.detail, /job 9 .* failed: agent refused/);
  assert.equal(d.loadbalancer.find((c) => c.name === 'amphorae')!.status, 'failed');
});

test('an amphora in ERROR fails its record check', () => {
  const d = diagnose(pair({ status: 'ERROR', fault: 'boot timed out' }));
  assert.equal(d.broken_at, 'amphora:m:record');
  assert.match(check(d, 'm', 'record').detail, /boot timed out/);
});

test("show proc: the master's uptime in seconds", () => {
  const text = '#<PID>          <type>          <reloads>       <uptime>        <version>\n19555           master          2 [failed: 1]   1d02h03m04s     2.6.12\n# workers\n19822           worker          1               0d00h00m05s     2.6.12\n';
  const procs = parseShowProc(text);
  assert.equal(procs.uptimeS, ((1 * 24 + 2) * 60 + 3) * 60 + 4);
  assert.equal(procs.failedReloads, 1);
  assert.deepEqual(procs.workers, [19822]);
  assert.equal(parseShowProc('19555 master 0\n').uptimeS, null);
});
