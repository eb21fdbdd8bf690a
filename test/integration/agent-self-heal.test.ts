// The agent supervises the daemons it runs: a haproxy killed with SIGKILL is started again from
// its last configuration and server state without any controller call, the event is recorded
// and visible through the API, a daemon that keeps dying is left down and reported (by the
// status and the heartbeat alike), and a restarted agent brings back every amphora whose haproxy
// should run. Nothing runs twice.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { AgentClient, AmphoraStatus, SupervisionEvent } from '../../src/amphora/agent-client.ts';
import { identify } from '../../src/agent/process-table.ts';
import { amphoraLayout } from '../../src/agent/layout.ts';
import { DEFAULT_RESTART_POLICY } from '../../src/agent/restart-policy.ts';
import { openHeartbeat, type Heartbeat } from '../../src/agent/heartbeat-codec.ts';
import { AgentProcess, Cleanup, bodies, controllerClient, freePort, haproxyConfig, httpGet, makePki, pidsUnder, readTrack, startBackend, until, type Pki } from './agent-harness.ts';

const cleanup = new Cleanup();
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
  const dir = cleanup.tempDir('fulcrum-agent-heal-');
  baseDir = `${dir}/amphorae`;
  pki = await makePki(dir);
  await startAgent();
});

const heartbeatKey = randomBytes(32);
let heartbeats: Socket | null = null;

after(async () => {
  heartbeats?.close();
  await cleanup.run();
});

/** Makes the agent send its heartbeats, every `intervalMs`, to a socket that keeps them. */
async function receiveHeartbeats(intervalMs: number): Promise<Heartbeat[]> {
  const got: Heartbeat[] = [];
  heartbeats = createSocket('udp4');
  heartbeats.on('message', (packet) => got.push(openHeartbeat(packet, () => heartbeatKey, Date.now(), 60_000).heartbeat));
  await new Promise<void>((resolve) => heartbeats!.bind(0, '127.0.0.1', () => resolve()));
  await client.putHeartbeatSettings({ key_id: 'heal-key', key: heartbeatKey.toString('base64'), targets: [{ host: '127.0.0.1', port: heartbeats.address().port }], interval_ms: intervalMs });
  return got;
}

/** Every live process started for this amphora: its haproxy master and workers, nothing else. */
function processesOf(id: string): number[] {
  return pidsUnder(amphoraLayout(baseDir, id).runDir).sort((a, b) => a - b);
}

function assertNoStrays(id: string, status: AmphoraStatus): void {
  assert.ok(status.haproxy.master_pid !== null);
  assert.ok(status.haproxy.workers.length > 0);
  assert.deepEqual(processesOf(id), [status.haproxy.master_pid, ...status.haproxy.workers].sort((a, b) => a - b), 'only the current master and its workers run');
}

const eventsOf = (status: AmphoraStatus, kind: SupervisionEvent['kind']) => status.supervision.events.filter((e) => e.daemon === 'haproxy' && e.kind === kind);

/**
 * Bounds on waiting for the agent: generous, since on a loaded machine (load average 20+ on two
 * cores) a haproxy start alone takes seconds; nothing here measures how fast it is.
 */
const RESTART_WAIT_MS = 90_000;

async function restartedAfter(id: string, oldMaster: number): Promise<AmphoraStatus> {
  return until(`haproxy of ${id} to run again`, RESTART_WAIT_MS, async () => {
    const status = await client.amphoraStatus(id);
    const recorded = eventsOf(status, 'restarted').some((e) => e.pid === status.haproxy.master_pid);
    return status.haproxy.running && status.haproxy.master_pid !== oldMaster && status.haproxy.workers.length > 0 && recorded && status;
  });
}

test('kill -9 of haproxy: restarted from its last configuration and server state, the event recorded', async () => {
  const id = 'amp-heal';
  await client.registerAmphora(id);
  const port = await freePort();
  const config = haproxyConfig({
    baseDir,
    amphoraId: id,
    frontendPort: port,
    servers: [
      { name: 's1', port: await startBackend(cleanup, 'be1') },
      { name: 's2', port: await startBackend(cleanup, 'be2') },
    ],
  });
  const started = await client.putHaproxyConfig(id, config);
  // A runtime change made after the last reload: the restarted haproxy must keep it.
  const drained = await client.putHaproxyConfig(id, config, ['set server be/s2 state maint']);
  assert.equal(drained.action, 'runtime');
  assert.deepEqual(new Set(await bodies(port, '/app', 6)), new Set(['be1']));

  process.kill(started.master_pid, 'SIGKILL');
  const status = await restartedAfter(id, started.master_pid);
  assert.equal(identify(started.master_pid), null, 'the killed master is gone');
  // They leave on their own once they see their master gone, which on a loaded machine can take
  // longer than the restart.
  await until('the killed master\'s workers to leave', 30_000, () => started.workers.every((worker) => identify(worker) === null));
  assertNoStrays(id, status);
  assert.deepEqual(await httpGet(port, '/ok'), { status: 200, body: 'ok' });
  assert.deepEqual(new Set(await bodies(port, '/app', 6)), new Set(['be1']), 'the runtime change survived the restart');
  assert.equal(readTrack(baseDir, id), '0');
  assert.equal(status.fault, false);

  const exited = eventsOf(status, 'exited');
  const restarted = eventsOf(status, 'restarted');
  assert.equal(exited.length, 1);
  assert.equal(exited[0].pid, started.master_pid);
  assert.equal(restarted.length, 1);
  assert.equal(restarted[0].pid, status.haproxy.master_pid);
  assert.equal(restarted[0].reason, 'exited');
  assert.ok(restarted[0].seq > exited[0].seq);
  assert.equal(typeof restarted[0].down_ms, 'number');
  assert.deepEqual({ ...status.supervision.haproxy, recent_crashes: undefined }, { wanted: true, state: 'idle', restarts: 1, recent_crashes: undefined });

  const info = await client.info();
  assert.equal(info.supervision.totals.restarted, 1);
  assert.equal(info.supervision.totals.exited, 1);
  assert.deepEqual(
    info.supervision.events.map((e) => [e.amphora_id, e.kind]),
    [
      [id, 'exited'],
      [id, 'restarted'],
    ],
  );
  const later = await client.supervisionEvents(exited[0].seq);
  assert.deepEqual(later.events.map((e) => e.kind), ['restarted']);
  assert.equal(later.last_seq, restarted[0].seq);
});

test('a haproxy that keeps dying is left down and reported; the next configuration clears it', async () => {
  const id = 'amp-loop';
  await client.registerAmphora(id);
  const port = await freePort();
  const config = haproxyConfig({ baseDir, amphoraId: id, frontendPort: port, servers: [{ name: 's1', port: await startBackend(cleanup, 'be1') }] });
  let master = (await client.putHaproxyConfig(id, config)).master_pid;
  // Frequent, so some are being built while haproxy is killed.
  const beats = await receiveHeartbeats(50);
  let status: AmphoraStatus;
  // The agent gives up on the crash that puts more than `limit` within `windowMs` (by its own
  // clock, the times of its `exited` events). How fast this loop kills depends on how fast the
  // machine restarts haproxy, so whether a crash must end the restarts is judged from those
  // times, not assumed from a number of kills.
  const { limit, windowMs } = DEFAULT_RESTART_POLICY;
  const crowded = (exits: SupervisionEvent[]) => exits.length > limit && Date.parse(exits.at(-1)!.at) - Date.parse(exits.at(-1 - limit)!.at) < windowMs;
  for (let kills = 1; ; kills++) {
    process.kill(master, 'SIGKILL');
    status = await until(`haproxy of ${id} to restart or be given up`, RESTART_WAIT_MS, async () => {
      const s = await client.amphoraStatus(id);
      const recorded = eventsOf(s, 'restarted').some((e) => e.pid === s.haproxy.master_pid);
      return (s.supervision.haproxy.state === 'gave_up' || (s.haproxy.running && s.haproxy.master_pid !== master && s.haproxy.workers.length > 0 && recorded)) && s;
    });
    const exits = (await client.supervisionEvents()).events.filter((e) => e.amphora_id === id && e.daemon === 'haproxy' && e.kind === 'exited');
    assert.equal(exits.length, kills, 'every kill recorded as an exit');
    if (status.supervision.haproxy.state === 'gave_up') {
      assert.ok(crowded(exits), `given up only once more than ${limit} crashes fell within ${windowMs} ms: ${exits.map((e) => e.at).join(', ')}`);
      break;
    }
    assert.ok(!crowded(exits), `more than ${limit} crashes within ${windowMs} ms and still restarted: ${exits.map((e) => e.at).join(', ')}`);
    // A bound on the loop, for a machine so slow that no window ever holds enough crashes.
    assert.ok(kills < 50, 'the crash-loop limit ends the restarts');
    master = status.haproxy.master_pid!;
  }
  assert.equal(status.haproxy.running, false, JSON.stringify({ haproxy: status.haproxy, supervision: status.supervision }));
  assert.equal(status.haproxy.master_pid, null);
  assert.equal(status.fault, true);
  assert.equal(readTrack(baseDir, id), '1');
  // The heartbeat says the same from the first one that says it: none after it (by sequence, as
  // the health manager orders them) shows haproxy running or healable.
  const own = () => beats.filter((h) => h.amphora_id === id).sort((a, b) => a.seq - b.seq);
  const firstGaveUp = await until('a heartbeat saying haproxy cannot be healed', 30_000, () => own().find((h) => h.fault === 'gave_up'));
  await until('more heartbeats after it', 30_000, () => own().filter((h) => h.seq > firstGaveUp.seq).length >= 5);
  for (const h of own().filter((b) => b.seq >= firstGaveUp.seq)) assert.deepEqual({ running: h.haproxy.running, fault: h.fault }, { running: false, fault: 'gave_up' }, `heartbeat ${h.seq}`);
  // The last master's workers leave on their own once they see their master gone.
  await until('nothing of it to run', 30_000, () => processesOf(id).length === 0);
  const gaveUp = eventsOf(status, 'gave_up');
  assert.equal(gaveUp.length, 1);
  assert.match(gaveUp[0].detail!, /crashes within the restart window/);
  // From the agent-wide log: the status shows only an amphora's newest events.
  const deaths = (await client.supervisionEvents()).events.filter((e) => e.amphora_id === id && e.daemon === 'haproxy' && e.kind === 'exited');
  assert.equal(deaths.length, status.supervision.haproxy.restarts + 1, 'every death recorded');

  const again = await client.putHaproxyConfig(id, config);
  assert.equal(again.action, 'started');
  const after = await client.amphoraStatus(id);
  assert.equal(after.supervision.haproxy.state, 'idle');
  assert.equal(after.supervision.haproxy.recent_crashes, 0);
  assertNoStrays(id, after);
  assert.deepEqual(await httpGet(port, '/ok'), { status: 200, body: 'ok' });
  await client.deleteAmphora(id);
});

test('a restarted agent brings back every haproxy that should run, and leaves stopped ones stopped', async () => {
  const running = 'amp-back';
  const stopped = 'amp-stopped';
  const ports: Record<string, number> = {};
  const masters: Record<string, number> = {};
  for (const id of [running, stopped]) {
    await client.registerAmphora(id);
    ports[id] = await freePort();
    const config = haproxyConfig({ baseDir, amphoraId: id, frontendPort: ports[id], servers: [{ name: 's1', port: await startBackend(cleanup, `be-${id}`) }] });
    masters[id] = (await client.putHaproxyConfig(id, config)).master_pid;
  }
  await client.stopHaproxy(stopped);

  // The agent and every haproxy go, as in a power loss of the host (the agent first, so it
  // cannot restart anything).
  process.kill(agent.pid, 'SIGKILL');
  await agent.exited;
  for (const pid of processesOf(running)) process.kill(pid, 'SIGKILL');
  await until('the killed haproxy to be gone', 10_000, () => processesOf(running).length === 0);
  // A killed process's listening socket goes with its last reference, a moment after /proc stops
  // showing it (a connection caught in between is reset, not refused).
  await until('the port to refuse connections', 10_000, () => httpGet(ports[running], '/ok').then(() => false, (err: Error) => /ECONNREFUSED/.test(err.message)));

  await startAgent();
  const status = await restartedAfter(running, masters[running]);
  assertNoStrays(running, status);
  assert.deepEqual(await httpGet(ports[running], '/app'), { status: 200, body: `be-${running}` });
  const restarted = eventsOf(status, 'restarted');
  assert.equal(restarted.length, 1);
  assert.equal(restarted[0].reason, 'agent_start');

  const idle = await client.amphoraStatus(stopped);
  assert.equal(idle.haproxy.running, false, 'a haproxy the controller stopped stays stopped');
  assert.equal(idle.supervision.haproxy.wanted, false);
  assert.deepEqual(processesOf(stopped), []);
  await assert.rejects(httpGet(ports[stopped], '/ok'), /ECONNREFUSED/);
});
