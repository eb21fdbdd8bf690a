// The pure parts of the agent's supervision: the restart policy (backoff, crash-loop limit),
// the supervision log (sequence numbers, bounded memory), the /proc/<pid>/stat parser, and the
// shared watch for adopted processes driven by hand instead of by its timer, and the supervisor
// with a stand-in for the daemon's restart (no process is started here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestartPolicy } from '../../src/agent/restart-policy.ts';
import { SupervisionLog } from '../../src/agent/supervision-log.ts';
import { parseProcStat, type ProcessIdentity } from '../../src/agent/process-table.ts';
import { ProcessWatch } from '../../src/agent/process-watch.ts';

test('restart policy: growing delays, then give up; old crashes fall out of the window; reset forgets', () => {
  const policy = new RestartPolicy({ delaysMs: [0, 100, 400], limit: 4, windowMs: 10_000 });
  assert.deepEqual(policy.onCrash(0), { action: 'restart', delayMs: 0, attempt: 1 });
  assert.deepEqual(policy.onCrash(1), { action: 'restart', delayMs: 100, attempt: 2 });
  assert.deepEqual(policy.onCrash(2), { action: 'restart', delayMs: 400, attempt: 3 });
  assert.deepEqual(policy.onCrash(3), { action: 'restart', delayMs: 400, attempt: 4 }, 'the last delay repeats');
  assert.deepEqual(policy.onCrash(4), { action: 'give_up', crashes: 5 });
  assert.equal(policy.recentCrashes, 5);

  const sparse = new RestartPolicy({ delaysMs: [0, 100], limit: 2, windowMs: 1000 });
  for (let i = 0; i < 10; i++) assert.deepEqual(sparse.onCrash(i * 1000), { action: 'restart', delayMs: 0, attempt: 1 }, `crash ${i} is alone in its window`);

  policy.reset();
  assert.equal(policy.recentCrashes, 0);
  assert.deepEqual(policy.onCrash(5), { action: 'restart', delayMs: 0, attempt: 1 });
  assert.throws(() => new RestartPolicy({ delaysMs: [], limit: 1, windowMs: 1 }), /at least one delay/);
});

test('supervision log: sequence numbers, since(), per amphora, bounded, totals', () => {
  let t = Date.UTC(2026, 0, 1);
  const log = new SupervisionLog(3, () => new Date(t++));
  assert.equal(log.lastSeq, 0);
  log.record({ amphora_id: 'a', daemon: 'haproxy', kind: 'exited', pid: 10 });
  log.record({ amphora_id: 'b', daemon: 'keepalived', kind: 'exited', pid: 20 });
  log.record({ amphora_id: 'a', daemon: 'haproxy', kind: 'restarted', pid: 11, reason: 'exited', down_ms: 150 });
  const fourth = log.record({ amphora_id: 'b', daemon: 'keepalived', kind: 'gave_up', detail: 'x' });
  assert.equal(fourth.seq, 4);
  assert.equal(fourth.at, '2026-01-01T00:00:00.003Z');
  assert.equal(log.lastSeq, 4);
  assert.deepEqual(log.since(0).map((e) => e.seq), [2, 3, 4], 'only the newest three are kept');
  assert.deepEqual(log.since(3).map((e) => e.kind), ['gave_up']);
  assert.deepEqual(log.since(4), []);
  assert.deepEqual(log.since(0, 1).map((e) => e.seq), [4], 'a limit keeps the newest');
  assert.deepEqual(log.forAmphora('a', 10).map((e) => e.kind), ['restarted']);
  assert.deepEqual(log.totals, { exited: 2, restarted: 1, restart_failed: 0, gave_up: 1 }, 'totals count what was dropped too');
});

test('/proc/<pid>/stat: fields counted from the last parenthesis, whatever the command name holds', () => {
  const tail = ' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 123456 18 19';
  const stat = (name: string, state: string, ppid: number) => `4242 (${name}) ${state} ${ppid}${tail}`;
  assert.deepEqual(parseProcStat(stat('haproxy', 'S', 1)), { state: 'S', ppid: 1, utime: 10, stime: 11, startTime: '123456' });
  assert.deepEqual(parseProcStat(stat('a) Z 7 (b', 'S', 99)), { state: 'S', ppid: 99, utime: 10, stime: 11, startTime: '123456' }, 'a name with ") " in it');
  assert.deepEqual(parseProcStat(stat('zombie', 'Z', 3)), { state: 'Z', ppid: 3, utime: 10, stime: 11, startTime: '123456' });
  assert.equal(parseProcStat('garbage'), null);
  assert.equal(parseProcStat('1 (x) S 1 2'), null, 'truncated');
});

test('one watch for all adopted processes: each reported once, the timer gone when none is left', () => {
  const dead = new Set<number>();
  const alive = (p: ProcessIdentity) => !dead.has(p.pid);
  const watch = new ProcessWatch({ intervalMs: 60_000, exists: alive, alive });
  const a: ProcessIdentity = { pid: 1001, startTime: '1' };
  const b: ProcessIdentity = { pid: 1002, startTime: '1' };
  const gone: number[] = [];
  watch.watch(a, () => gone.push(a.pid));
  const unwatchB = watch.watch(b, () => gone.push(b.pid));
  assert.equal(watch.size, 2);
  watch.check();
  assert.deepEqual(gone, []);
  dead.add(1001);
  watch.check();
  watch.check();
  assert.deepEqual(gone, [1001], 'reported once');
  unwatchB();
  dead.add(1002);
  watch.check();
  assert.deepEqual(gone, [1001], 'an unwatched process is not reported');
  assert.equal(watch.size, 0);
});

test('the cheap check runs on most passes, the full /proc check on every n-th (zombies, reused pids)', () => {
  const zombie: ProcessIdentity = { pid: 2001, startTime: '1' };
  let fullChecks = 0;
  // The pid still exists (a zombie): only the full check sees it is dead.
  const watch = new ProcessWatch({ intervalMs: 60_000, fullEvery: 3, exists: () => true, alive: () => {
    fullChecks++;
    return false;
  } });
  const gone: number[] = [];
  watch.watch(zombie, () => gone.push(zombie.pid));
  watch.check();
  assert.deepEqual(gone, [2001], 'the first pass is a full one');
  const next: ProcessIdentity = { pid: 2002, startTime: '1' };
  watch.watch(next, () => gone.push(next.pid));
  watch.check();
  watch.check();
  assert.deepEqual(gone, [2001], 'cheap passes see the pid and go on');
  watch.check();
  assert.deepEqual(gone, [2001, 2002], 'the next full pass sees it');
  assert.equal(fullChecks, 2);
});

test('supervisor: restarts after an exit, retries a failed restart, gives up at the limit, starts over on reset', async () => {
  const { DaemonSupervisor } = await import('../../src/agent/supervisor.ts');
  const { createLogger } = await import('../../src/observability/logger.ts');
  const events = new SupervisionLog();
  const outcomes: (number | null | Error)[] = [];
  let calls = 0;
  const supervisor = new DaemonSupervisor({
    amphoraId: 'amp',
    daemon: 'haproxy',
    log: createLogger('silent'),
    events,
    policy: { delaysMs: [0], limit: 3, windowMs: 60_000 },
    restart: async () => {
      calls++;
      const next = outcomes.shift() ?? null;
      if (next instanceof Error) throw next;
      return next;
    },
  });
  const settled = async () => {
    for (let i = 0; i < 50 && supervisor.status().state === 'restarting'; i++) await new Promise((r) => setTimeout(r, 5));
  };

  outcomes.push(101);
  supervisor.exited(100);
  await settled();
  assert.deepEqual(events.since(0).map((e) => [e.kind, e.pid]), [
    ['exited', 100],
    ['restarted', 101],
  ]);
  assert.deepEqual(supervisor.status(), { state: 'idle', restarts: 1, recent_crashes: 1 });

  outcomes.push(new Error('cannot bind'), 102);
  supervisor.exited(101);
  await settled();
  assert.deepEqual(events.since(2).map((e) => e.kind), ['exited', 'restart_failed', 'restarted']);
  assert.equal(events.since(3)[0].detail, 'cannot bind');
  assert.equal(supervisor.status().recent_crashes, 3, 'a failed restart counts as a crash');

  supervisor.exited(102);
  await settled();
  assert.equal(supervisor.status().state, 'gave_up');
  assert.deepEqual(events.since(5).map((e) => e.kind), ['exited', 'gave_up']);
  const callsBefore = calls;
  supervisor.exited(102);
  await settled();
  assert.equal(calls, callsBefore, 'no restart once given up');

  supervisor.reset();
  assert.deepEqual(supervisor.status(), { state: 'idle', restarts: 2, recent_crashes: 0 });
  outcomes.push(103);
  supervisor.notRunningAtStart();
  await settled();
  const last = events.since(0).at(-1)!;
  assert.deepEqual([last.kind, last.pid, last.reason], ['restarted', 103, 'agent_start']);
  supervisor.close();
});

test('supervisor: a restart whose turn comes only after the supervisor gave up starts nothing', async () => {
  const { DaemonSupervisor } = await import('../../src/agent/supervisor.ts');
  const { createLogger } = await import('../../src/observability/logger.ts');
  const events = new SupervisionLog();
  let turn!: () => void;
  const queued = new Promise<void>((resolve) => (turn = resolve));
  const started: number[] = [];
  const supervisor = new DaemonSupervisor({
    amphoraId: 'amp',
    daemon: 'haproxy',
    log: createLogger('silent'),
    events,
    policy: { delaysMs: [0], limit: 1, windowMs: 60_000 },
    // As the amphora's restart does: wait for its turn, then start only if still asked to.
    restart: async (current) => {
      await queued;
      if (!current()) return null;
      started.push(301);
      return 301;
    },
  });
  supervisor.exited(300);
  await new Promise((r) => setTimeout(r, 20));
  supervisor.exited(300);
  assert.equal(supervisor.status().state, 'gave_up');
  turn();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(started, []);
  assert.equal(supervisor.status().state, 'gave_up');
  assert.deepEqual(events.since(0).map((e) => e.kind), ['exited', 'exited', 'gave_up'], 'no restart reported after giving up');
  supervisor.close();
});
