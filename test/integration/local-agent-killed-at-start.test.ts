// An agent killed while it starts (SIGKILL before it answers, as a chaos round or an operator
// does): ensureLocalAgent reports that it exited by that signal instead of waiting for it to
// answer until its deadline, so the controller's watchdog starts the next one at once.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCertificateAuthority } from '../../src/pki/certificate-authority.ts';
import { ensureLocalAgent, LocalAgentFailed } from '../../src/compute/local-agent.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { freePort, stopLocalDataPlane } from '../helpers/data-plane.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-agent-killed-'));
after(() => {
  stopLocalDataPlane(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
});

test('an agent killed before it answers fails the start with its signal, not a timeout', async () => {
  const ca = await createCertificateAuthority();
  const dir = join(dataDir, 'agent');
  const pidFile = join(dir, 'agent.pid');
  const starting = ensureLocalAgent({ ca, dir, host: '127.0.0.1', port: await freePort(), log: createLogger('silent') });
  // The pid file is written right after the spawn, before the agent can answer.
  for (let i = 0; i < 500 && !existsSync(pidFile); i++) await sleep(2);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  process.kill(pid, 'SIGKILL');
  await assert.rejects(starting, (err: Error) => {
    assert.ok(err instanceof LocalAgentFailed, String(err));
    assert.match(err.message, /^the amphora agent exited \(SIGKILL\) before it answered/);
    assert.equal(err.permanent, false);
    // The watchdog starts the next one without growing its delay.
    assert.equal(err.killed, true);
    return true;
  });
});
