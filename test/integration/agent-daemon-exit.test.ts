// A supervised daemon that dies is not running from that moment, even before Node delivers its
// exit (the agent's event loop may be busy, as it is here on purpose): a status or heartbeat
// read in between must not report the dead pid. Its exit is still handled exactly once, as a
// crash, or as the stop's when a stop was asked for meanwhile. The daemon is a real `sleep`.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../src/agent/daemon.ts';
import { readProcStat } from '../../src/agent/process-table.ts';

async function startSleep(t: TestContext): Promise<{ daemon: Daemon; pid: number; exits: [boolean, number][] }> {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-daemon-exit-'));
  const exits: [boolean, number][] = [];
  const daemon = new Daemon({ name: 'sleep', file: 'sleep', args: ['60'], pidFile: join(dir, 'pid'), logPath: join(dir, 'log'), owns: () => false }, () => null, (expected, pid) => exits.push([expected, pid]));
  await daemon.start();
  const pid = daemon.pid!;
  // The agent's daemons do not keep its event loop alive; here nothing else would.
  const keepAlive = setInterval(() => {}, 60_000);
  t.after(async () => {
    clearInterval(keepAlive);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
    await daemon.exited();
    rmSync(dir, { recursive: true, force: true });
  });
  return { daemon, pid, exits };
}

/** Kills `pid` and spins until it is a zombie, without yielding: Node cannot see the exit meanwhile. */
function killAndHoldExit(pid: number): void {
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while (readProcStat(pid)?.state !== 'Z' && Date.now() < deadline);
  assert.equal(readProcStat(pid)?.state, 'Z', 'dead, not yet reaped');
}

test('a killed daemon is not running before its exit is delivered, and its exit is reported once', async (t) => {
  const { daemon, pid, exits } = await startSleep(t);
  assert.equal(daemon.isRunning(), true);
  killAndHoldExit(pid);
  assert.equal(daemon.isRunning(), false);
  assert.equal(daemon.pid, null);
  assert.deepEqual(exits, [], 'the exit has not been delivered yet');
  await daemon.exited();
  assert.deepEqual(exits, [[false, pid]]);
});

test('a stop asked for after the daemon died, before its exit was delivered, takes that exit as its own', async (t) => {
  const { daemon, pid, exits } = await startSleep(t);
  killAndHoldExit(pid);
  await daemon.stop();
  assert.deepEqual(exits, [[true, pid]]);
});
