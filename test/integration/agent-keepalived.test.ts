// keepalived through the agent, and the track file that drives it: `keepalived -t` rejects a
// bad file, a good one starts keepalived (VRRP child running), a new one reloads it (SIGHUP,
// same pid, also after an agent restart), and the VRRP instance goes FAULT whenever the track
// file says so: when the controller asks, and when haproxy's master dies, written by the agent
// itself (which then starts haproxy again). A keepalived killed is started again by the agent.
//
// The instance runs on the host's first interface that is up, without namespaces. It stays
// BACKUP: its advert interval (40 s) makes the master-down timer two minutes, far beyond the
// test, so it never takes its (documentation-range) VIP or sends an advertisement.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { AgentRequestFailed, type AgentClient } from '../../src/amphora/agent-client.ts';
import { amphoraLayout } from '../../src/agent/layout.ts';
import { identify } from '../../src/agent/process-table.ts';
import { openHeartbeat, type Heartbeat } from '../../src/agent/heartbeat-codec.ts';
import { AgentProcess, Cleanup, controllerClient, freePort, haproxyConfig, makePki, readTrack, startBackend, until, type Pki } from './agent-harness.ts';

const cleanup = new Cleanup();
let dir: string;
let baseDir: string;
let pki: Pki;
let agent: AgentProcess;
let client: AgentClient;

async function startAgent(): Promise<void> {
  agent = await AgentProcess.start(cleanup, baseDir, pki);
  client = controllerClient(pki, agent.url);
  cleanup.clients.add(client);
}

before(async () => {
  dir = cleanup.tempDir('fulcrum-agent-vrrp-');
  baseDir = `${dir}/amphorae`;
  pki = await makePki(dir);
  await startAgent();
  writeFileSync(`${dir}/notify.sh`, `#!/bin/sh\necho "$3" >> ${dir}/vrrp-states\n`, { mode: 0o755 });
});

after(() => cleanup.run());

function keepalivedConfig(id: string, iface: string, priority: number): string {
  return `global_defs {
  router_id ${id}
  enable_script_security
  script_user root
}
track_file haproxy_fault {
  file "${amphoraLayout(baseDir, id).trackFile}"
  weight 0
}
vrrp_instance VI_1 {
  interface ${iface}
  state BACKUP
  nopreempt
  virtual_router_id 211
  priority ${priority}
  advert_int 40
  unicast_peer {
    127.0.0.2
  }
  track_file {
    haproxy_fault
  }
  virtual_ipaddress {
    203.0.113.10/32
  }
  notify "${dir}/notify.sh"
}
`;
}

/** Every state the notify script saw, oldest first. */
function states(): string[] {
  try {
    return readFileSync(`${dir}/vrrp-states`, 'utf8').trim().split('\n');
  } catch {
    return [];
  }
}

const lastState = (): string | undefined => states().at(-1);

const vrrpState = (state: string) => until(`VRRP state ${state} (now ${lastState()})`, 15_000, () => lastState() === state);

/**
 * An amphora serving HAProxy (one backend named `backend`) with keepalived started on the
 * host's first interface that is up besides lo; null when there is none.
 */
async function amphoraWithKeepalived(id: string, backend: string): Promise<{ pid: number } | null> {
  await client.registerAmphora(id);
  const iface = (await client.interfaces(id)).find((i) => i.name !== 'lo' && i.state === 'UP');
  if (!iface) return null;
  await client.putHaproxyConfig(id, haproxyConfig({ baseDir, amphoraId: id, frontendPort: await freePort(), servers: [{ name: 's1', port: await startBackend(cleanup, backend) }] }));
  return client.putKeepalivedConfig(id, keepalivedConfig(id, iface.name, 100));
}

/** The status once keepalived, killed as `pid`, runs again under another pid, or is given up. */
function restartedOrGivenUp(id: string, pid: number) {
  return until('keepalived to restart or be given up', 10_000, async () => {
    const status = await client.amphoraStatus(id);
    const state = status.supervision.keepalived.state;
    return state === 'gave_up' || (state === 'idle' && status.keepalived.running && status.keepalived.pid !== pid) ? status : null;
  });
}

test('keepalived follows the track file: controller requests and haproxy deaths', async (t) => {
  const id = 'amp-vrrp';
  await client.registerAmphora(id);
  const iface = (await client.interfaces(id)).find((i) => i.name !== 'lo' && i.state === 'UP');
  if (!iface) return t.skip('no interface is up besides lo');

  const port = await freePort();
  const hapConfig = haproxyConfig({ baseDir, amphoraId: id, frontendPort: port, servers: [{ name: 's1', port: await startBackend(cleanup, 'be1') }] });
  await client.putHaproxyConfig(id, hapConfig);
  assert.equal(readTrack(baseDir, id), '0');

  const invalid = await client.putKeepalivedConfig(id, keepalivedConfig(id, iface.name, 100).replace('priority 100', 'priority banana')).catch((e: unknown) => e);
  assert.ok(invalid instanceof AgentRequestFailed, String(invalid));
  assert.equal(invalid.agentStatus, 400);
  assert.match(invalid.message, /keepalived rejected the configuration: .*invalid number 'banana'/s);
  assert.equal((await client.amphoraStatus(id)).keepalived.running, false);

  const started = await client.putKeepalivedConfig(id, keepalivedConfig(id, iface.name, 100));
  assert.equal(started.action, 'started');
  await vrrpState('BACKUP');

  await client.setTrack(id, true);
  assert.equal(readTrack(baseDir, id), '1');
  await vrrpState('FAULT');
  assert.equal((await client.putHaproxyConfig(id, hapConfig)).action, 'reloaded');
  assert.equal(readTrack(baseDir, id), '1', "a reload does not clear the controller's fault");
  assert.deepEqual(await client.setTrack(id, false), { fault: false, fault_requested: false });
  await vrrpState('BACKUP');

  // haproxy dies: the agent (its parent) writes the fault, keepalived leaves at once, and comes
  // back once the agent has started haproxy again.
  const master = (await client.amphoraStatus(id)).haproxy.master_pid!;
  const statesBefore = states().length;
  process.kill(master, 'SIGKILL');
  await until('VRRP state FAULT after the kill', 15_000, () => states().slice(statesBefore).includes('FAULT'));
  const restarted = await until('haproxy to be restarted', 30_000, async () => {
    const s = await client.amphoraStatus(id);
    return s.haproxy.running && s.haproxy.master_pid !== master && s;
  });
  await vrrpState('BACKUP');
  assert.equal(readTrack(baseDir, id), '0');
  assert.equal((await client.putHaproxyConfig(id, hapConfig)).action, 'reloaded');
  assert.equal((await client.amphoraStatus(id)).haproxy.master_pid, restarted.haproxy.master_pid);

  // A restarted agent adopts keepalived like haproxy: same process, reloaded and stopped by it.
  await agent.stop();
  await startAgent();
  const adopted = (await client.amphoraStatus(id)).keepalived;
  assert.deepEqual({ running: adopted.running, pid: adopted.pid }, { running: true, pid: started.pid });
  const reloaded = await client.putKeepalivedConfig(id, keepalivedConfig(id, iface.name, 90));
  assert.deepEqual(reloaded, { action: 'reloaded', pid: started.pid });
  const log = amphoraLayout(baseDir, id).keepalivedLog;
  await until('keepalived to finish reloading', 15_000, () => readFileSync(log, 'utf8').includes('Reload complete'));

  // The adopted keepalived killed: the agent starts it again from its file, one VRRP process.
  const vrrpPidFile = amphoraLayout(baseDir, id).vrrpPid;
  const vrrpBefore = Number(readFileSync(vrrpPidFile, 'utf8'));
  process.kill(started.pid, 'SIGKILL');
  const back = await until('keepalived to be restarted', 30_000, async () => {
    const s = await client.amphoraStatus(id);
    return s.supervision.events.some((e) => e.daemon === 'keepalived' && e.kind === 'restarted' && e.pid === s.keepalived.pid) && s;
  });
  assert.notEqual(back.keepalived.pid, started.pid);
  assert.equal(identify(started.pid), null);
  await until('the old VRRP process to exit', 10_000, () => identify(vrrpBefore) === null);
  const vrrpNow = Number(readFileSync(vrrpPidFile, 'utf8'));
  assert.notEqual(vrrpNow, vrrpBefore);
  assert.ok(identify(vrrpNow), 'the new VRRP process runs');
  await vrrpState('BACKUP');

  await client.stopKeepalived(id);
  assert.equal(identify(back.keepalived.pid!), null, 'keepalived is gone when the agent answers');
  assert.equal((await client.amphoraStatus(id)).keepalived.running, false);
  await client.deleteAmphora(id);
});

test('the same keepalived configuration again is no reload; a crash drill SIGKILLs keepalived, its VRRP child and haproxy', async (t) => {
  const id = 'amp-crash';
  await client.registerAmphora(id);
  const iface = (await client.interfaces(id)).find((i) => i.name !== 'lo' && i.state === 'UP');
  if (!iface) return t.skip('no interface is up besides lo');
  const hapConfig = haproxyConfig({ baseDir, amphoraId: id, frontendPort: await freePort(), servers: [{ name: 's1', port: await startBackend(cleanup, 'be2') }] });
  const haproxy = await client.putHaproxyConfig(id, hapConfig);
  const config = keepalivedConfig(id, iface.name, 100);
  const started = await client.putKeepalivedConfig(id, config);
  assert.equal(started.action, 'started');
  const logSize = readFileSync(amphoraLayout(baseDir, id).keepalivedLog, 'utf8').length;
  assert.deepEqual(await client.putKeepalivedConfig(id, config), { action: 'unchanged', pid: started.pid });
  assert.ok(!readFileSync(amphoraLayout(baseDir, id).keepalivedLog, 'utf8').slice(logSize).includes('Reloading'), 'keepalived was not reloaded');

  const vrrpChild = Number(readFileSync(amphoraLayout(baseDir, id).vrrpPid, 'utf8'));
  const master = (await client.amphoraStatus(id)).haproxy.master_pid!;
  assert.ok(identify(vrrpChild) && identify(master) && haproxy.action === 'started');
  const killed = await client.crash(id);
  assert.deepEqual([...killed].sort(), [started.pid, master].sort());
  await until('keepalived, its VRRP child and haproxy to die', 10_000, () => [started.pid, vrrpChild, master].every((pid) => identify(pid) === null));
  await client.deleteAmphora(id);
});

test('a killed keepalived whose VRRP child is still an unreaped zombie is started again at once', async (t) => {
  const id = 'amp-zombie';
  const started = await amphoraWithKeepalived(id, 'be3');
  if (!started) return t.skip('no interface is up besides lo');
  const layout = amphoraLayout(baseDir, id);
  const vrrpChild = Number(readFileSync(layout.vrrpPid, 'utf8'));
  // A zombie that stays one for the whole test: its parent, `sleep`, never waits for children.
  const holder = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  cleanup.processes.add(holder);
  const zombie = Number((await once(holder.stdout!, 'data'))[0].toString().trim());
  await until('the zombie', 5000, () => /\) Z /.test(readFileSync(`/proc/${zombie}/stat`, 'utf8')));
  // What PID 1 leaves behind for a moment when it reaps a killed keepalived's child late.
  writeFileSync(layout.vrrpPid, `${zombie}\n`);
  process.kill(vrrpChild, 'SIGKILL');
  process.kill(started.pid, 'SIGKILL');
  // The restart done, or given up after starts refused one after another.
  const back = await restartedOrGivenUp(id, started.pid);
  // Its first restart worked: no start refused because "daemon is already running".
  assert.deepEqual({ state: back.supervision.keepalived.state, restarts: back.supervision.keepalived.restarts, crashes: back.supervision.keepalived.recent_crashes }, { state: 'idle', restarts: 1, crashes: 1 });
  assert.doesNotMatch(readFileSync(layout.keepalivedLog, 'utf8'), /daemon is already running/);
  await client.deleteAmphora(id);
});

test('a keepalived that keeps dying is given up, and the heartbeat says the amphora cannot heal while HAProxy serves', async (t) => {
  const id = 'amp-kd-loop';
  const started = await amphoraWithKeepalived(id, 'be4');
  if (!started) return t.skip('no interface is up besides lo');
  let pid = started.pid;
  // Killed until its supervisor stops restarting it; bounded for a machine too slow for any
  // restart window to fill.
  let state = 'idle';
  for (let kills = 0; state !== 'gave_up'; kills++) {
    assert.ok(kills < 50, 'the crash-loop limit ends the restarts');
    process.kill(pid, 'SIGKILL');
    const status = await restartedOrGivenUp(id, pid);
    state = status.supervision.keepalived.state;
    pid = status.keepalived.pid ?? pid;
  }
  const key = randomBytes(32);
  const socket = createSocket('udp4');
  t.after(() => socket.close());
  const beats: Heartbeat[] = [];
  socket.on('message', (packet) => beats.push(openHeartbeat(packet, (k) => (k === 'kd-key' ? key : undefined), Date.now(), 10_000).heartbeat));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  await client.putHeartbeatSettings({ key_id: 'kd-key', key: key.toString('base64'), targets: [{ host: '127.0.0.1', port: socket.address().port }], interval_ms: 200 });
  const beat = await until('a heartbeat of the amphora', 10_000, () => beats.find((h) => h.amphora_id === id));
  assert.deepEqual({ running: beat.haproxy.running, fault: beat.fault }, { running: true, fault: 'keepalived_gave_up' });
  await client.deleteAmphora(id);
});
