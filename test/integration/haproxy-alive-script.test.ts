// The check keepalived runs itself (src/agent/haproxy-alive.sh) against a real HAProxy in
// master-worker mode: alive while the master named by the pid file runs, also across a reload;
// dead once it is killed, and alive again when a new HAProxy writes its new pid into the same
// file; a pid file naming a zombie, a live process that is not this HAProxy, a missing file or
// garbage all count as dead.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestReload, showProc } from '../../src/agent/master-cli.ts';
import { readProcStat } from '../../src/agent/process-table.ts';
import { freePort, until } from './agent-harness.ts';

const SCRIPT = fileURLToPath(new URL('../../src/agent/haproxy-alive.sh', import.meta.url));

let dir: string;
let pidFile: string;
let config: string;
let masterSocket: string;
const started = new Set<ChildProcess>();

/** The script's exit code for this pid file. */
function check(path = pidFile): Promise<number> {
  return new Promise((resolve) => execFile(SCRIPT, [path], (err) => resolve(err ? Number((err as { code?: number }).code ?? -1) : 0)));
}

/** HAProxy's master in the foreground, as the agent runs it; resolves once it has a worker and its pid file names it. */
async function startHaproxy(): Promise<ChildProcess> {
  const child = spawn('haproxy', ['-Ws', '-S', `${masterSocket},mode,600`, '-f', config, '-p', pidFile], { stdio: 'ignore' });
  started.add(child);
  await until('the new master to be ready', 10_000, async () => {
    const procs = await showProc(masterSocket).catch(() => null);
    return procs !== null && procs.masterPid === child.pid && procs.workers.length > 0 && readFileSync(pidFile, 'utf8').trim() === String(child.pid);
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fulcrum-haproxy-alive-'));
  pidFile = join(dir, 'haproxy.pid');
  config = join(dir, 'haproxy.cfg');
  masterSocket = join(dir, 'master.sock');
  writeFileSync(pidFile, '');
  writeFileSync(config, ['defaults', '  mode tcp', '  timeout connect 1s', '  timeout client 1s', '  timeout server 1s', 'frontend fe', `  bind 127.0.0.1:${await freePort()}`, ''].join('\n'));
});

after(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) await kill(child);
  rmSync(dir, { recursive: true, force: true });
});

test('alive while the master lives, across a reload; dead when killed; alive again under a new pid', async () => {
  const first = await startHaproxy();
  assert.equal(await check(), 0);
  // A reload (as the agent asks for it) re-executes the master under the same pid.
  const before = await showProc(masterSocket);
  await requestReload(masterSocket);
  await until('a new worker', 10_000, async () => (await showProc(masterSocket).catch(() => null))?.workers.some((w) => !before.workers.includes(w)));
  assert.equal(await check(), 0, 'alive after a reload');
  await kill(first);
  assert.equal(await check(), 1, 'the pid file still names the killed master');
  const second = await startHaproxy();
  assert.notEqual(second.pid, first.pid);
  assert.equal(await check(), 0, 'the new master, found through the same file');
  await kill(second);
});

test('a zombie, a process that is not this HAProxy, a missing or unreadable pid file count as dead', async () => {
  // A child that its parent never waits for: `sh` replaced by `sleep` before reaping it.
  const parent = spawn('sh', ['-c', 'haproxy -v >/dev/null & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  started.add(parent);
  const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
  const zombie = Number(line.toString().trim());
  await until('the child to be a zombie', 5_000, () => readProcStat(zombie)?.state === 'Z');
  writeFileSync(pidFile, `${zombie}\n`);
  assert.equal(await check(), 1, 'a zombie');
  writeFileSync(pidFile, `${parent.pid}\n`);
  assert.equal(await check(), 1, 'a live process started without this pid file');
  await kill(parent);
  writeFileSync(pidFile, 'not a pid\n');
  assert.equal(await check(), 1, 'garbage');
  assert.equal(await check(join(dir, 'missing.pid')), 1, 'no pid file');
});
